// Container state changes as the runtime sees them, over one long-lived stream shared by all
// subscribers: CRI's GetContainerEvents where the runtime serves it (containerd 1.7+), else
// containerd's own event service on the same socket (containerd 1.6), else none (the relist
// alone). A stream that breaks is reopened with exponential back-off; what happened in between is
// the relist's to see.

import * as grpc from '@grpc/grpc-js';
import type { RuntimeContainerEvent } from '../types.js';
import { CriCallError, type CriClient } from './client.js';
import { codec, ContainerEventTypeValue, RUNTIME_STREAMS, type CriMessage } from './proto.js';

export type EventSource = 'cri' | 'containerd' | 'none';

/** A raw event: what the stream names; the runtime adds what it knows of the container. */
export type RawContainerEvent = Omit<RuntimeContainerEvent, 'sandboxId'> & { sandboxId?: string };

export interface ContainerEventStreamOptions {
  client: CriClient;
  /** containerd namespace whose events the fallback reads (the CRI plugin's is `k8s.io`). */
  namespace?: string;
  /** First and largest delay before reopening a broken stream. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A stream that broke (not one the runtime does not serve). */
  onError?(err: Error): void;
  /**
   * Resolves when CRI shows what a containerd event says: containerd publishes a task's exit
   * before its CRI plugin has recorded it, and a relist in between would still see it running.
   */
  settle?(event: RawContainerEvent): Promise<void>;
}

const EVENT_TYPES: Record<number, RuntimeContainerEvent['type']> = {
  [ContainerEventTypeValue.CREATED]: 'ContainerCreated',
  [ContainerEventTypeValue.STARTED]: 'ContainerStarted',
  [ContainerEventTypeValue.STOPPED]: 'ContainerStopped',
  [ContainerEventTypeValue.DELETED]: 'ContainerDeleted',
};

/** containerd topics → the event they stand for, and the message whose field 1 names the container. */
const TOPICS: Record<string, { type: RuntimeContainerEvent['type']; message: string }> = {
  '/containers/create': { type: 'ContainerCreated', message: 'containerd:ContainerCreate' },
  '/tasks/start': { type: 'ContainerStarted', message: 'containerd:TaskStart' },
  '/tasks/exit': { type: 'ContainerStopped', message: 'containerd:TaskExit' },
  '/containers/delete': { type: 'ContainerDeleted', message: 'containerd:ContainerDelete' },
};

/** A stream that lived this long was healthy: the next break starts the back-off afresh. */
const HEALTHY_MS = 5_000;

export class ContainerEventStream {
  private readonly listeners = new Set<(event: RawContainerEvent) => void>();
  private cancel: (() => void) | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private mode: EventSource = 'cri';

  constructor(private readonly opts: ContainerEventStreamOptions) {
    this.backoffMs = opts.initialBackoffMs ?? 250;
  }

  /** Where events come from now (`none` once neither stream is served). */
  get source(): EventSource {
    return this.mode;
  }

  /** Whether a stream is open or about to be reopened. */
  get active(): boolean {
    return this.cancel !== undefined || this.retry !== undefined;
  }

  subscribe(listener: (event: RawContainerEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  close(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    const cancel = this.cancel;
    this.cancel = undefined;
    cancel?.();
  }

  private open(): void {
    if (this.mode === 'none' || this.listeners.size === 0) return;
    const mode = this.mode;
    const openedAt = Date.now();
    const onMessage = (message: CriMessage) => {
      const event = mode === 'cri' ? fromCri(message) : fromContainerd(message, this.opts.namespace ?? 'k8s.io');
      if (!event) return;
      const deliver = () => {
        for (const listener of [...this.listeners]) listener(event);
      };
      if (mode === 'containerd' && this.opts.settle) void this.opts.settle(event).catch(() => undefined).then(deliver);
      else deliver();
    };
    const onEnd = (err: CriCallError | undefined) => {
      this.cancel = undefined;
      if (!err || this.listeners.size === 0) return;
      if (err.grpcCode === grpc.status.UNIMPLEMENTED) {
        this.mode = mode === 'cri' ? 'containerd' : 'none';
        this.open();
        return;
      }
      this.opts.onError?.(err);
      if (Date.now() - openedAt >= HEALTHY_MS) this.backoffMs = this.opts.initialBackoffMs ?? 250;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 10_000);
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.open();
      }, delay);
      this.retry.unref();
    };
    if (mode === 'cri') {
      const [req, res] = RUNTIME_STREAMS.GetContainerEvents;
      this.cancel = this.opts.client.stream('/runtime.v1.RuntimeService/GetContainerEvents', codec(req), codec(res), {}, { onMessage, onEnd });
    } else {
      const ns = this.opts.namespace ?? 'k8s.io';
      const filters = Object.keys(TOPICS).map((topic) => `namespace==${JSON.stringify(ns)},topic==${JSON.stringify(topic)}`);
      this.cancel = this.opts.client.stream(
        '/containerd.services.events.v1.Events/Subscribe',
        codec('containerd:SubscribeRequest'),
        codec('containerd:Envelope'),
        { filters },
        { onMessage, onEnd },
      );
    }
  }
}

function fromCri(m: CriMessage): RawContainerEvent | undefined {
  const type = EVENT_TYPES[m.containerEventType as number];
  if (!type || !m.containerId) return undefined;
  const sandbox = m.podSandboxStatus as CriMessage | undefined;
  return {
    type,
    containerId: m.containerId,
    ...(sandbox?.id ? { sandboxId: sandbox.id } : {}),
    ...(sandbox?.metadata?.uid ? { podUid: sandbox.metadata.uid } : {}),
  };
}

function fromContainerd(envelope: CriMessage, namespace: string): RawContainerEvent | undefined {
  if (envelope.namespace !== namespace) return undefined;
  const topic = TOPICS[envelope.topic as string];
  if (!topic || !envelope.event?.value) return undefined;
  const event = codec(topic.message).decode(Buffer.from(envelope.event.value));
  const containerId = (event.containerId ?? event.id) as string;
  if (!containerId) return undefined;
  // An exec'd process exiting is no change of the container's state.
  if (topic.message === 'containerd:TaskExit' && event.id && event.id !== event.containerId) return undefined;
  return { type: topic.type, containerId };
}
