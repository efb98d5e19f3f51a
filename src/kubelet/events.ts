// The node agent's event recorder, with the correlation rules of client-go's event cache: a spam
// filter (token bucket per source+object), aggregation of similar events (same reason, many
// different messages) and de-duplication of identical events into count++ updates.

import type { CoreEvent, ObjectReference } from '../api/types.js';
import { rfc3339, type Clock } from '../util/clock.js';
import type { EventRecorder, EventType } from './types.js';

/** Where recorded events go; the API-backed sink creates and patches core/v1 Events. */
export interface EventSink {
  create(event: CoreEvent): Promise<unknown>;
  /** The event was seen again: `count`, `lastTimestamp` (and for aggregates `message`) changed. */
  update(event: CoreEvent): Promise<unknown>;
}

export interface EventRecorderOptions {
  sink: EventSink;
  clock: Clock;
  component: string;
  host: string;
}

const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;
const AGGREGATE_MAX_MESSAGES = 10;
const AGGREGATE_WINDOW_MS = 600_000;
/** Each of the three caches keeps this many keys, dropping the least recently used (as client-go's LRUs). */
const CACHE_SIZE = 4096;
const AGGREGATE_PREFIX = '(combined from similar events): ';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface SimilarMessages {
  messages: Set<string>;
  lastAt: number;
}

export class KubeletEventRecorder implements EventRecorder {
  private readonly spam = new Map<string, Bucket>();
  private readonly similar = new Map<string, SimilarMessages>();
  private readonly observed = new Map<string, CoreEvent>();
  private chain: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(private readonly opts: EventRecorderOptions) {}

  event(object: ObjectReference, type: EventType, reason: string, message: string): void {
    const now = this.opts.clock.now();
    const objectKey = [object.kind, object.namespace, object.name, object.uid, object.apiVersion].join('\u0000');
    if (!this.allow(objectKey, now)) return;

    const similarKey = [objectKey, type, reason].join('\u0000');
    let effectiveMessage = message;
    let key = [objectKey, object.fieldPath ?? '', type, reason, message].join('\u0000');
    if (this.isAggregated(similarKey, message, now)) {
      effectiveMessage = AGGREGATE_PREFIX + message;
      key = similarKey;
    }

    const stamp = rfc3339(now);
    const previous = this.observed.get(key);
    if (previous) {
      this.observed.delete(key);
      const next: CoreEvent = { ...previous, message: effectiveMessage, count: (previous.count ?? 1) + 1, lastTimestamp: stamp };
      remember(this.observed, key, next);
      this.enqueue(() => this.opts.sink.update(next).catch(() => this.opts.sink.create(next)));
      return;
    }
    const created: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${object.name}.${(BigInt(now) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`,
        namespace: object.namespace ?? 'default',
      },
      involvedObject: { ...object },
      reason,
      message: effectiveMessage,
      source: { component: this.opts.component, host: this.opts.host },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host,
    };
    remember(this.observed, key, created);
    this.enqueue(() => this.opts.sink.create(created));
  }

  /** Resolves when every event recorded so far has been handed to the sink. */
  flush(): Promise<void> {
    return this.chain;
  }

  private allow(objectKey: string, now: number): boolean {
    let bucket = this.spam.get(objectKey);
    if (bucket) this.spam.delete(objectKey);
    else bucket = { tokens: SPAM_BURST, updatedAt: now };
    remember(this.spam, objectKey, bucket);
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.updatedAt) / SPAM_REFILL_MS);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens--;
    return true;
  }

  private isAggregated(similarKey: string, message: string, now: number): boolean {
    let entry = this.similar.get(similarKey);
    if (entry) this.similar.delete(similarKey);
    if (!entry || now - entry.lastAt > AGGREGATE_WINDOW_MS) entry = { messages: new Set(), lastAt: now };
    remember(this.similar, similarKey, entry);
    entry.lastAt = now;
    entry.messages.add(message);
    return entry.messages.size >= AGGREGATE_MAX_MESSAGES;
  }

  private enqueue(write: () => Promise<unknown>): void {
    this.chain = this.chain.then(write).then(
      () => undefined,
      () => undefined,
    );
  }
}

/** Inserts as most recent; a Map iterates in insertion order, so the first key is the least recent. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.set(key, value);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}
