// A node agent on the fake runtime in virtual time, with in-memory API seams that record what the
// agent writes: statuses, events, deletions.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreEvent, Pod, PodSpec, PodStatus } from '../../src/api/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { FakeClock, settle, type Timer } from '../../src/util/clock.js';
import type { EventSink } from '../../src/kubelet/events.js';
import { Kubelet, type KubeletOptions } from '../../src/kubelet/kubelet.js';
import type { HttpGetRequest, HttpGetResponse, ProbeNetwork } from '../../src/kubelet/network.js';
import type { ConfigSource, PodStatusWriter } from '../../src/kubelet/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';

/** A FakeClock that also knows when its next timer is due, so tests can step from one to the next. */
export class SteppingClock extends FakeClock {
  private readonly dues = new Set<{ at: number }>();

  override setTimeout(fn: () => void, ms: number): Timer {
    const entry = { at: this.now() + Math.max(0, ms) };
    this.dues.add(entry);
    const timer = super.setTimeout(() => {
      this.dues.delete(entry);
      fn();
    }, ms);
    return {
      cancel: () => {
        this.dues.delete(entry);
        timer.cancel();
      },
    };
  }

  nextTimerAt(): number | undefined {
    let best: number | undefined;
    for (const d of this.dues) if (best === undefined || d.at < best) best = d.at;
    return best;
  }
}

export interface StatusWrite {
  at: number;
  status: PodStatus;
}

export class MemoryApi implements PodStatusWriter {
  readonly pods = new Map<string, Pod>();
  readonly writes = new Map<string, StatusWrite[]>();
  readonly deleted: string[] = [];
  private rv = 100;

  constructor(private readonly clock: FakeClock) {}

  put(pod: Pod): Pod {
    const stored = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } };
    this.pods.set(pod.metadata.uid!, stored);
    return stored;
  }

  async writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    const uid = pod.metadata.uid!;
    const current = this.pods.get(uid);
    if (!current) return undefined;
    let list = this.writes.get(uid);
    if (!list) this.writes.set(uid, (list = []));
    list.push({ at: this.clock.now(), status: structuredClone(status) });
    const stored = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.rv) }, status: structuredClone(status) };
    this.pods.set(uid, stored);
    return stored;
  }

  /** Told about removed pods, as an informer would tell the agent. */
  onDelete: ((pod: Pod) => void) | undefined;

  async deletePod(pod: Pod): Promise<void> {
    const stored = this.pods.get(pod.metadata.uid!);
    this.deleted.push(pod.metadata.uid!);
    this.pods.delete(pod.metadata.uid!);
    if (stored) queueMicrotask(() => this.onDelete?.(stored));
  }

  lastStatus(uid: string): PodStatus | undefined {
    return this.pods.get(uid)?.status;
  }
}

export class MemoryEvents implements EventSink {
  readonly events: CoreEvent[] = [];
  readonly updates: CoreEvent[] = [];

  async create(event: CoreEvent): Promise<unknown> {
    this.events.push(structuredClone(event));
    return event;
  }

  async update(event: CoreEvent): Promise<unknown> {
    this.updates.push(structuredClone(event));
    const i = this.events.findIndex((e) => e.metadata.name === event.metadata.name);
    if (i >= 0) this.events[i] = structuredClone(event);
    return event;
  }

  /** `Type Reason: message` of every event, in creation order. */
  lines(filter?: (e: CoreEvent) => boolean): string[] {
    return this.events.filter((e) => !filter || filter(e)).map((e) => `${e.type} ${e.reason}: ${e.message}`);
  }

  find(reason: string, message?: string): CoreEvent | undefined {
    return this.events.find((e) => e.reason === reason && (message === undefined || e.message === message));
  }
}

export class MemoryConfig implements ConfigSource {
  readonly configMaps = new Map<string, { data?: Record<string, string>; binaryData?: Record<string, string> }>();
  readonly secrets = new Map<string, { data?: Record<string, string> }>();
  services: unknown[] | undefined = [];

  async getConfigMap(namespace: string, name: string) {
    return this.configMaps.get(`${namespace}/${name}`);
  }
  async getSecret(namespace: string, name: string) {
    return this.secrets.get(`${namespace}/${name}`);
  }
  async listServices(namespace: string) {
    return this.services?.filter((s) => (s as { metadata?: { namespace?: string } }).metadata?.namespace === namespace);
  }
}

export type HttpHandler = (req: HttpGetRequest) => Promise<HttpGetResponse> | HttpGetResponse;

export class ScriptedNetwork implements ProbeNetwork {
  readonly requests: { at: number; req: HttpGetRequest }[] = [];
  http: HttpHandler = (req) => {
    throw new Error(`dial tcp ${req.host}:${req.port}: connect: connection refused`);
  };
  tcp: (host: string, port: number) => boolean = () => true;

  constructor(private readonly clock: FakeClock) {}

  async httpGet(req: HttpGetRequest): Promise<HttpGetResponse> {
    this.requests.push({ at: this.clock.now(), req });
    return this.http(req);
  }
  async tcpConnect(host: string, port: number): Promise<void> {
    if (!this.tcp(host, port)) throw new Error(`dial tcp ${host}:${port}: connect: connection refused`);
  }
  async grpcHealthCheck(): Promise<'SERVING'> {
    return 'SERVING';
  }
}

export interface Harness {
  clock: SteppingClock;
  runtime: FakeRuntime;
  api: MemoryApi;
  events: MemoryEvents;
  config: MemoryConfig;
  network: ScriptedNetwork;
  kubelet: Kubelet;
  rootDir: string;
  /** Seconds since the harness started. */
  t(): number;
  /** Moves virtual time forward, letting the agent finish its work at every timer. */
  advance(ms: number): Promise<void>;
  /** Creates the pod in the API and hands it to the agent. */
  add(pod: Pod): Pod;
  /** Stores a new version of the pod and hands it to the agent. */
  update(pod: Pod): Pod;
  /** Marks the pod deleted with a grace period, as the API server does. */
  deleteGracefully(uid: string, graceSeconds?: number): Pod;
  close(): Promise<void>;
}

export interface HarnessOptions {
  runtime?: FakeRuntime;
  clock?: SteppingClock;
  rootDir?: string;
  kubelet?: Partial<KubeletOptions>;
  /** Start the kubelet (default true). */
  start?: boolean;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = opts.clock ?? new SteppingClock();
  const origin = clock.now();
  const runtime = opts.runtime ?? new FakeRuntime({ clock });
  const rootDir = opts.rootDir ?? (await mkdtemp(join(tmpdir(), 'kubelet-test-')));
  const api = new MemoryApi(clock);
  const events = new MemoryEvents();
  const config = new MemoryConfig();
  const network = new ScriptedNetwork(clock);
  const errors: unknown[] = [];
  const kubelet = new Kubelet({
    nodeName: 'node-1',
    runtime,
    clock,
    statusWriter: api,
    eventSink: events,
    config,
    network,
    rootDir,
    hostIPs: ['192.168.1.10'],
    probeRandom: () => 0,
    onError: (context, err) => errors.push([context, err]),
    ...opts.kubelet,
  });
  api.onDelete = (pod) => kubelet.podDeleted(pod);
  if (opts.start !== false) await kubelet.start();

  const h: Harness = {
    clock,
    runtime,
    api,
    events,
    config,
    network,
    kubelet,
    rootDir,
    t: () => (clock.now() - origin) / 1000,
    async advance(ms) {
      const target = clock.now() + ms;
      for (;;) {
        await quiesce();
        const next = clock.nextTimerAt();
        if (next === undefined || next > target) break;
        await clock.advance(next - clock.now());
      }
      await clock.advance(target - clock.now());
      await quiesce();
    },
    add(pod) {
      const stored = api.put(pod);
      kubelet.podAdded(stored);
      return stored;
    },
    update(pod) {
      const stored = api.put(pod);
      kubelet.podUpdated(stored);
      return stored;
    },
    deleteGracefully(uid, graceSeconds) {
      const current = api.pods.get(uid)!;
      const grace = graceSeconds ?? current.spec.terminationGracePeriodSeconds ?? 30;
      const deleted: Pod = {
        ...current,
        metadata: {
          ...current.metadata,
          deletionTimestamp: new Date(clock.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
          deletionGracePeriodSeconds: grace,
        },
      };
      return h.update(deleted);
    },
    async close() {
      await kubelet.stop();
      if (!opts.rootDir) await safeRemove(rootDir, { unmount: true });
    },
  };
  return h;
}

/**
 * Waits until the agent can make no progress without virtual time passing: no file-system request
 * is pending and queued continuations have run.
 */
export async function quiesce(): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    await settle();
    const io = process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq') || r.startsWith('FileHandle') || r === 'CloseReq');
    if (!io) {
      await settle();
      if (!process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq') || r.startsWith('FileHandle') || r === 'CloseReq')) return;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('file-system work did not finish');
}

let uidSeq = 0;

/** A pod as the API server would hand it to the node (defaults applied, bound to node-1). */
export function makePod(name: string, spec: Partial<PodSpec> & Pick<PodSpec, 'containers'>, namespace = 'default'): Pod {
  const withDefaults = (c: PodSpec['containers'][number]) => ({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File' as const,
    imagePullPolicy: 'IfNotPresent' as const,
    ...c,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}-${++uidSeq}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: 'node-1',
      ...spec,
      containers: spec.containers.map(withDefaults),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(withDefaults) } : {}),
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** The distinct values a status field took over the recorded writes, in order. */
export function history<T>(writes: StatusWrite[] | undefined, pick: (s: PodStatus) => T): T[] {
  const out: T[] = [];
  for (const w of writes ?? []) {
    const v = pick(w.status);
    if (out.length === 0 || JSON.stringify(out[out.length - 1]) !== JSON.stringify(v)) out.push(v);
  }
  return out;
}
