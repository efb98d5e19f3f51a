// One worker per (pod, container, probe kind): a single timer on the probe's period, the kubelet's
// thresholds and hold rules, and its result in the shared results cache.

import type { Container, ContainerStatus, ObjectMeta, Pod, PodSpec, PodStatus, Probe } from '../../api/types.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { EventRecorder } from '../types.js';
import { podReference } from '../types.js';
import type { ProbeRunner } from './probe-runner.js';
import type { ProbeKind, ProbeResult, ProbeResults, StoredResult } from './results.js';

/** What a worker reads of its pod (its manager keeps only this, not the pod object of each sync). */
export interface ProbedPod {
  metadata: Pick<ObjectMeta, 'name' | 'namespace' | 'uid' | 'resourceVersion' | 'deletionTimestamp'>;
  spec: Pick<PodSpec, 'restartPolicy'>;
}

export type ProbedContainerStatus = Pick<ContainerStatus, 'name' | 'containerID' | 'state' | 'started'>;

/** What a worker reads of its pod's latest generated status. */
export interface ProbedStatus {
  phase?: PodStatus['phase'];
  podIP?: string;
  containerStatuses?: ProbedContainerStatus[];
  initContainerStatuses?: ProbedContainerStatus[];
}

/** What a worker needs from its manager. */
export interface WorkerContext {
  clock: Clock;
  results: ProbeResults;
  runner: ProbeRunner;
  recorder: EventRecorder;
  /** When the node agent started (jitter of first probes right after a start). */
  startedAt: number;
  random(): number;
  latestPod(podUid: string): ProbedPod | undefined;
  latestStatus(podUid: string): ProbedStatus | undefined;
  podIP(podUid: string): string | undefined;
  /** An applied result changed. */
  changed(pod: ProbedPod, kind: ProbeKind, containerName: string): void;
  /** The worker stopped by itself. */
  exited(worker: ProbeWorker): void;
}

const INITIAL: Record<ProbeKind, StoredResult> = { readiness: 'failure', liveness: 'success', startup: 'unknown' };
const TITLE: Record<ProbeKind, string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };

function probeOf(container: Container, kind: ProbeKind): Probe {
  const probe = kind === 'liveness' ? container.livenessProbe : kind === 'readiness' ? container.readinessProbe : container.startupProbe;
  if (!probe) throw new Error(`container ${container.name} has no ${kind} probe`);
  return probe;
}

export class ProbeWorker {
  readonly probe: Probe;
  private readonly periodMs: number;
  private readonly failureThreshold: number;
  private readonly successThreshold: number;
  private timer: Timer | undefined;
  private nextTickAt = 0;
  private probing = false;
  private triggered = false;
  private stopped = false;
  private containerId = '';
  private lastResult: ProbeResult | undefined;
  private resultRun = 0;
  private onHold = false;

  constructor(
    private readonly ctx: WorkerContext,
    readonly podUid: string,
    readonly container: Container,
    readonly isInit: boolean,
    readonly kind: ProbeKind,
  ) {
    this.probe = probeOf(container, kind);
    this.periodMs = (this.probe.periodSeconds || 10) * 1000;
    this.failureThreshold = this.probe.failureThreshold || 3;
    this.successThreshold = this.probe.successThreshold || 1;
  }

  start(): void {
    const { clock } = this.ctx;
    const sinceStart = clock.now() - this.ctx.startedAt;
    const jitter = this.periodMs > sinceStart ? Math.floor(this.ctx.random() * this.periodMs) : 0;
    this.timer = clock.setTimeout(() => {
      this.nextTickAt = clock.now() + this.periodMs;
      void this.runOnce();
    }, jitter);
  }

  /** Stops probing and forgets this worker's result. Safe to call more than once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.containerId) this.ctx.results.remove(this.kind, this.containerId);
  }

  /** Probe now and restart the period from now (the kubelet's manual run). */
  trigger(): void {
    if (this.stopped || this.nextTickAt === 0) return;
    if (this.probing) {
      this.triggered = true;
      return;
    }
    this.timer?.cancel();
    this.timer = this.ctx.clock.setTimeout(() => {
      this.nextTickAt = this.ctx.clock.now() + this.periodMs;
      void this.runOnce();
    }, 0);
  }

  private async runOnce(): Promise<void> {
    this.timer = undefined;
    this.probing = true;
    let keepGoing = true;
    try {
      keepGoing = await this.doProbe();
    } catch {
      keepGoing = true;
    }
    this.probing = false;
    if (this.stopped) return;
    if (!keepGoing) {
      this.stop();
      this.ctx.exited(this);
      return;
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const now = this.ctx.clock.now();
    if (this.triggered) {
      this.triggered = false;
      this.nextTickAt = now + this.periodMs;
      this.timer = this.ctx.clock.setTimeout(() => void this.runOnce(), 0);
      return;
    }
    // A ticker keeps its phase; a tick missed while probing fires once, right away.
    const due = this.nextTickAt;
    if (due <= now) {
      while (this.nextTickAt <= now) this.nextTickAt += this.periodMs;
      this.timer = this.ctx.clock.setTimeout(() => void this.runOnce(), 0);
      return;
    }
    this.timer = this.ctx.clock.setTimeout(() => {
      this.nextTickAt += this.periodMs;
      void this.runOnce();
    }, due - now);
  }

  private setResult(pod: ProbedPod, result: StoredResult, notify: boolean): void {
    if (this.ctx.results.set(this.kind, this.containerId, result) && notify) {
      if (this.kind !== 'liveness' || result === 'failure') this.ctx.changed(pod, this.kind, this.container.name);
    }
  }

  /** A Warning event on the container (its reference built only then: most probes succeed quietly). */
  private warn(pod: ProbedPod, reason: string, message: string): void {
    // podReference reads only the metadata a ProbedPod keeps.
    const ref = podReference(pod as Pod, `${this.isInit ? 'spec.initContainers' : 'spec.containers'}{${this.container.name}}`);
    this.ctx.recorder.event(ref, 'Warning', reason, message);
  }

  private findStatus(status: ProbedStatus): ProbedContainerStatus | undefined {
    const list = this.isInit ? status.initContainerStatuses : status.containerStatuses;
    return list?.find((s) => s.name === this.container.name);
  }

  /** One iteration; false when the worker should stop. */
  private async doProbe(): Promise<boolean> {
    const pod = this.ctx.latestPod(this.podUid);
    const status = this.ctx.latestStatus(this.podUid);
    if (!pod || !status) return true;
    if (status.phase === 'Failed' || status.phase === 'Succeeded') return false;

    const c = this.findStatus(status);
    if (!c || !c.containerID) return true;
    if (c.containerID !== this.containerId) {
      if (this.containerId) this.ctx.results.remove(this.kind, this.containerId);
      this.containerId = c.containerID;
      this.setResult(pod, INITIAL[this.kind], false);
      this.onHold = false;
    }
    if (this.onHold) return true;

    const running = c.state?.running;
    if (!running) {
      this.setResult(pod, 'failure', true);
      return !c.state?.terminated || (pod.spec.restartPolicy ?? 'Always') !== 'Never' || (this.isInit && this.container.restartPolicy === 'Always');
    }

    if (pod.metadata.deletionTimestamp && this.kind !== 'readiness') {
      this.setResult(pod, 'success', true);
      return false;
    }

    const startedAt = running.startedAt ? Date.parse(running.startedAt) : this.ctx.clock.now();
    if (Math.trunc((this.ctx.clock.now() - startedAt) / 1000) < (this.probe.initialDelaySeconds ?? 0)) return true;

    if (c.started === true) {
      if (this.kind === 'startup') return true;
    } else if (this.kind !== 'startup') return true;

    const attempt = await this.ctx.runner.run(this.probe, {
      container: this.container,
      containerId: this.containerId.slice(this.containerId.indexOf('://') + 3),
      podIP: this.ctx.podIP(this.podUid) ?? status.podIP,
    });
    if (this.stopped) return false;
    const title = TITLE[this.kind];
    if (attempt.error) {
      this.warn(pod, 'Unhealthy', `${title} probe errored and resulted in ${attempt.outcome} state: ${attempt.error.message}`);
      return true;
    }
    let result: ProbeResult = 'failure';
    if (attempt.outcome === 'success') result = 'success';
    else if (attempt.outcome === 'warning') {
      this.warn(pod, 'ProbeWarning', `${title} probe warning: ${attempt.output}`);
      result = 'success';
    } else if (attempt.outcome === 'failure') {
      this.warn(pod, 'Unhealthy', `${title} probe failed: ${attempt.output}`);
    }

    if (this.lastResult === result) this.resultRun++;
    else {
      this.lastResult = result;
      this.resultRun = 1;
    }
    if ((result === 'failure' && this.resultRun < this.failureThreshold) || (result === 'success' && this.resultRun < this.successThreshold)) return true;

    this.setResult(pod, result, true);
    if ((this.kind === 'liveness' && result === 'failure') || this.kind === 'startup') {
      this.onHold = true;
      this.resultRun = 0;
    }
    return true;
  }
}
