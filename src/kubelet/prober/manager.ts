// Owns the probe workers of every pod on the node and answers, from their results, whether each
// container has started and is ready (the kubelet's prober manager).

import type { Container, ContainerStatus, Pod, PodStatus } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import type { ProbeNetwork } from '../network.js';
import type { ProbeStatusProvider } from '../status/generate.js';
import type { EventRecorder } from '../types.js';
import { ProbeRunner } from './probe-runner.js';
import { ProbeResults, type ProbeKind, type ProbeResult } from './results.js';
import { ProbeWorker, type ProbedContainerStatus, type ProbedPod, type ProbedStatus, type WorkerContext } from './worker.js';

export type { ProbeKind, ProbeResult } from './results.js';
export { killGracePeriodSeconds } from './grace.js';

export interface ProbeManagerOptions {
  runtime: Runtime;
  clock: Clock;
  recorder: EventRecorder;
  network: ProbeNetwork;
  /** Latest known pod IP (status manager's) for probes without host. */
  podIP(podUid: string): string | undefined;
  /** A probe result changed (readiness flip, startup decided, liveness failure): the owner re-syncs the pod. */
  onResultChange(podUid: string, kind: ProbeKind, containerName: string): void;
  /** Source of the first-probe jitter right after the agent starts (default Math.random). */
  random?(): number;
}

const KINDS: readonly ProbeKind[] = ['startup', 'readiness', 'liveness'];

function probeFor(container: Container, kind: ProbeKind) {
  return kind === 'liveness' ? container.livenessProbe : kind === 'readiness' ? container.readinessProbe : container.startupProbe;
}

/** The fields the workers read, so that the manager holds no pod object nor status of a past sync. */
function probedPod(pod: Pod): ProbedPod {
  const { name, namespace, uid, resourceVersion, deletionTimestamp } = pod.metadata;
  return { metadata: { name, namespace, uid, resourceVersion, deletionTimestamp }, spec: { restartPolicy: pod.spec.restartPolicy } };
}

function probedStatuses(list: ContainerStatus[] | undefined): ProbedContainerStatus[] | undefined {
  return list?.map(({ name, containerID, state, started }) => ({ name, containerID, state, started }));
}

function probedStatus(status: PodStatus): ProbedStatus {
  return {
    phase: status.phase,
    podIP: status.podIP,
    containerStatuses: probedStatuses(status.containerStatuses),
    initContainerStatuses: probedStatuses(status.initContainerStatuses),
  };
}

interface PodProbes {
  pod: ProbedPod;
  status: ProbedStatus | undefined;
  /** Key: `<kind>/<container>`. */
  workers: Map<string, ProbeWorker>;
}

export class ProbeManager implements ProbeStatusProvider {
  private readonly pods = new Map<string, PodProbes>();
  private readonly results = new ProbeResults();
  private readonly ctx: WorkerContext;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.ctx = {
      clock: opts.clock,
      results: this.results,
      runner: new ProbeRunner(opts.runtime, opts.network),
      recorder: opts.recorder,
      startedAt: opts.clock.now(),
      random: opts.random ?? Math.random,
      latestPod: (uid) => this.pods.get(uid)?.pod,
      latestStatus: (uid) => this.pods.get(uid)?.status,
      podIP: (uid) => opts.podIP(uid),
      changed: (pod, kind, name) => opts.onResultChange(pod.metadata.uid ?? '', kind, name),
      exited: (worker) => this.pods.get(worker.podUid)?.workers.delete(`${worker.kind}/${worker.container.name}`),
    };
  }

  addPod(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { pod: probedPod(pod), status: undefined, workers: new Map() };
      this.pods.set(uid, entry);
    } else entry.pod = probedPod(pod);
    const probed: [Container, boolean][] = pod.spec.containers.map((c) => [c, false]);
    for (const c of pod.spec.initContainers ?? []) if (c.restartPolicy === 'Always') probed.push([c, true]);
    for (const [container, isInit] of probed) {
      for (const kind of KINDS) {
        if (!probeFor(container, kind)) continue;
        const key = `${kind}/${container.name}`;
        if (entry.workers.has(key)) continue;
        const worker = new ProbeWorker(this.ctx, uid, container, isInit, kind);
        entry.workers.set(key, worker);
        worker.start();
      }
    }
  }

  removePod(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const worker of entry.workers.values()) worker.stop();
    this.pods.delete(uid);
  }

  /** The pod started terminating: liveness and startup stop; readiness goes on until containers stop. */
  podTerminating(pod: Pod): void {
    const entry = this.pods.get(pod.metadata.uid ?? '');
    if (!entry) return;
    entry.pod = probedPod(pod);
    for (const [key, worker] of entry.workers) {
      // As in Kubernetes, only the regular containers' liveness and startup probes stop here.
      if (worker.kind === 'readiness' || worker.isInit) continue;
      worker.stop();
      entry.workers.delete(key);
    }
  }

  updatePodStatus(pod: Pod, status: PodStatus): void {
    const entry = this.pods.get(pod.metadata.uid ?? '');
    if (entry) entry.pod = probedPod(pod);
    for (const s of status.containerStatuses ?? []) this.fillStartedAndReady(entry, s);
    const inits = pod.spec.initContainers ?? [];
    for (const s of status.initContainerStatuses ?? []) {
      const spec = inits.find((c) => c.name === s.name);
      if (spec && spec.restartPolicy === 'Always') this.fillStartedAndReady(entry, s);
      else {
        s.started = this.isStarted(entry, s);
        if (s.state?.terminated?.exitCode === 0) s.ready = true;
      }
    }
    if (entry) entry.status = probedStatus(status);
  }

  result(containerId: string, kind: ProbeKind): ProbeResult | undefined {
    const r = this.results.get(kind, containerId);
    return r === 'unknown' ? undefined : r;
  }

  stop(): void {
    for (const entry of this.pods.values()) for (const worker of entry.workers.values()) worker.stop();
    this.pods.clear();
  }

  private isStarted(entry: PodProbes | undefined, s: ContainerStatus): boolean {
    if (!s.state?.running) return false;
    const startup = s.containerID ? this.results.get('startup', s.containerID) : undefined;
    if (startup !== undefined) return startup === 'success';
    return !entry?.workers.has(`startup/${s.name}`);
  }

  private fillStartedAndReady(entry: PodProbes | undefined, s: ContainerStatus): void {
    const started = this.isStarted(entry, s);
    s.started = started;
    if (!started) return;
    if (!s.state?.running) {
      s.ready = false;
      return;
    }
    if (s.containerID && this.results.get('readiness', s.containerID) === 'success') {
      s.ready = true;
      return;
    }
    const worker = entry?.workers.get(`readiness/${s.name}`);
    s.ready = !worker;
    worker?.trigger();
  }
}
