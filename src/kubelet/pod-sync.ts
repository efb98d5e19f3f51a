// The three sync functions a pod worker runs, as the kubelet's SyncPod, SyncTerminatingPod and
// SyncTerminatedPod: publish the status computed from the runtime, then either converge the pod
// (volumes, probes, runtime actions) or stop it and release what it held.

import type { Pod, PodStatus } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import type { ProbeManager } from './prober/manager.js';
import type { StatusManager } from './status/manager.js';
import { generatePodStatus, type StartFailure } from './status/generate.js';
import { activeDeadlineAt, DEADLINE_MESSAGE, DEADLINE_REASON } from './active-deadline.js';
import type { RuntimeChanges, RuntimeManager } from './runtime-manager.js';
import { podIPsOf } from './runtime-manager.js';
import type { RuntimeStateReader } from './runtime-state.js';
import { VolumeSetupError, type VolumeManager } from './volumes/manager.js';
import { podReference, type EventRecorder, type PodRuntimeSnapshot } from './types.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE } from './types.js';

export interface SyncOutcome {
  /** The pod reached a terminal phase: the worker moves on to terminating it. */
  terminal: boolean;
  /** When the pod wants its next sync (back-off release, deadline), clock ms. */
  wakeAt?: number;
  /** A start failed for another reason than a back-off: retry after the worker's error back-off. */
  failed?: boolean;
}

export interface PodSyncHandlerOptions {
  clock: Clock;
  recorder: EventRecorder;
  reader: RuntimeStateReader;
  runtime: RuntimeManager;
  statusManager: StatusManager;
  probes: ProbeManager;
  volumes: VolumeManager;
  hostIPs: string[];
  /** Prefix of container IDs in statuses (known once the runtime answered). */
  runtimeName(): string;
  /** Told the pod's current IPs whenever a snapshot is read. */
  onPodIPs(podUid: string, ips: string[]): void;
  /** The runtime is known to hold nothing of the pod (the last relist saw none of it). */
  runtimeHeldNothingOf?(podUid: string): boolean;
}

const NO_FAILURES: ReadonlyMap<string, StartFailure> = new Map();
/** Start failures that are waits, not errors: the worker does not retry early for them. */
const BACK_OFF_REASONS = new Set(['CrashLoopBackOff', 'ImagePullBackOff']);

export class PodSyncHandler {
  /** Why the last start of each container failed (the kubelet's reason cache). */
  private readonly startFailures = new Map<string, Map<string, StartFailure>>();
  /** Pods failed by the agent itself (active deadline), with the reason they keep. */
  private readonly evictions = new Map<string, { reason: string; message: string }>();
  /** Pods whose last sync started a container it could not report: their status lags until the next sync. */
  private readonly unreported = new Set<string>();
  /** Pods synced since they were last forgotten: only a pod's first sync may skip reading the runtime. */
  private readonly synced = new Set<string>();

  constructor(private readonly opts: PodSyncHandlerOptions) {}

  async syncPod(pod: Pod, signal: AbortSignal): Promise<SyncOutcome> {
    const { clock, statusManager } = this.opts;
    const uid = pod.metadata.uid ?? '';
    // Only this agent creates a pod's sandboxes: before its first sync, the last relist's view is the runtime's.
    const unseen = !this.synced.has(uid) && this.opts.runtimeHeldNothingOf?.(uid) === true;
    this.synced.add(uid);
    const snapshot = unseen ? this.nothingOf(uid, pod) : await this.read(uid, pod);
    let status = this.generate(pod, snapshot, false);

    const startTime = statusManager.getCachedStatus(uid)?.startTime ?? pod.status?.startTime ?? status.startTime;
    const deadline = activeDeadlineAt(pod, startTime);
    if (deadline !== undefined && clock.now() >= deadline && !this.evictions.has(uid)) {
      this.opts.recorder.event(podReference(pod), 'Normal', DEADLINE_REASON, DEADLINE_MESSAGE);
      this.evictions.set(uid, { reason: DEADLINE_REASON, message: DEADLINE_MESSAGE });
      status = this.generate(pod, snapshot, false);
    }
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      statusManager.setPodStatus(pod, status);
      return { terminal: true };
    }
    // The status is handed to the status manager once the volumes are set up (or failed): its write, asynchronous
    // anyway, then goes to the API while the runtime works rather than before the volumes' own requests.
    let volumePaths: Map<string, string>;
    try {
      volumePaths = await this.opts.volumes.setUp(pod, { podIPs: podIPsOf(pod, snapshot, this.opts.hostIPs), hostIPs: this.opts.hostIPs });
    } catch (err) {
      statusManager.setPodStatus(pod, status);
      if (err instanceof VolumeSetupError) this.opts.recorder.event(podReference(pod), 'Warning', 'FailedMount', err.message);
      throw err;
    }
    statusManager.setPodStatus(pod, status);
    this.opts.probes.addPod(pod);

    const result = await this.opts.runtime.syncPod(pod, snapshot, volumePaths, signal);
    let newFailure = false;
    for (const [name, failure] of result.starts) {
      let perPod = this.startFailures.get(uid);
      if (failure === null) {
        perPod?.delete(name);
        continue;
      }
      if (!perPod) this.startFailures.set(uid, (perPod = new Map()));
      const before = perPod.get(name);
      if (before?.reason !== failure.reason || before.message !== failure.message) newFailure = true;
      perPod.set(name, failure);
    }
    const started = [...result.starts.values()].some((f) => f === null);
    // What this sync started is reported now, not at the next sync (a relist or the periodic one).
    const after = started && !signal.aborted ? await this.readAfter(snapshot, result.changes, pod).catch(() => undefined) : undefined;
    if (started && !after) this.unreported.add(uid);
    else this.unreported.delete(uid);
    if (after || newFailure) {
      // Show why a container waits right away rather than at the next sync.
      statusManager.setPodStatus(pod, this.generate(pod, after ?? snapshot, false));
    }
    if (result.error) throw result.error;
    const wakeAt = minDefined(result.retryAt, deadline !== undefined && !this.evictions.has(uid) ? deadline : undefined);
    const failed = [...result.starts.values()].some((f) => f !== null && !BACK_OFF_REASONS.has(f.reason));
    return { terminal: false, ...(wakeAt !== undefined ? { wakeAt } : {}), ...(failed ? { failed } : {}) };
  }

  async syncTerminatingPod(pod: Pod, gracePeriodSeconds: number, signal: AbortSignal): Promise<void> {
    const { statusManager, probes } = this.opts;
    const uid = pod.metadata.uid ?? '';
    const snapshot = await this.read(uid, pod);
    statusManager.setPodStatus(pod, this.generate(pod, snapshot, false));
    probes.podTerminating(pod);
    try {
      await this.opts.runtime.killPod(pod, snapshot, gracePeriodSeconds, signal);
    } catch (err) {
      if (!signal.aborted) this.opts.recorder.event(podReference(pod), 'Warning', 'FailedKillPod', `error killing pod: ${(err as Error).message}`);
      throw err;
    }
    if (signal.aborted) throw new Error('termination was interrupted');
    probes.removePod(pod);
    const stopped = await this.read(uid);
    const stillRunning = stopped.containers.filter((c) => c.state === 'RUNNING');
    if (stillRunning.length > 0) throw new Error(`${stillRunning.length} containers are still running`);
    statusManager.setPodStatus(pod, this.generate(pod, stopped, true));
  }

  /** Stops what the runtime runs for a pod the agent no longer knows (after a restart, say). */
  async syncTerminatingRuntimePod(podUid: string, gracePeriodSeconds: number): Promise<void> {
    const snapshot = await this.read(podUid);
    const any = snapshot.containers[0] ?? snapshot.sandboxes[0];
    const pod: Pod = {
      metadata: { uid: podUid, name: any?.labels[LABEL_POD_NAME] ?? '', namespace: any?.labels[LABEL_POD_NAMESPACE] ?? '' },
      spec: { containers: [] },
    };
    await this.opts.runtime.killPod(pod, snapshot, gracePeriodSeconds);
  }

  async syncTerminatedPod(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid ?? '';
    const snapshot = await this.read(uid);
    this.opts.statusManager.setPodStatus(pod, this.generate(pod, snapshot, true));
    await this.opts.volumes.tearDown(uid);
    this.opts.statusManager.terminatePod(pod);
  }

  /** The pod's last sync started containers its status does not show yet (another sync reports them). */
  hasUnreportedStarts(podUid: string): boolean {
    return this.unreported.has(podUid);
  }

  forget(podUid: string): void {
    this.unreported.delete(podUid);
    this.synced.delete(podUid);
    this.startFailures.delete(podUid);
    this.evictions.delete(podUid);
  }

  private async read(podUid: string, pod?: Pod): Promise<PodRuntimeSnapshot> {
    const snapshot = await this.opts.reader.snapshot(podUid);
    this.opts.onPodIPs(podUid, podIPsOf(pod, snapshot, this.opts.hostIPs));
    return snapshot;
  }

  /** What the runtime holds after a sync: only what it changed is read again, unless it stopped the pod. */
  private async readAfter(before: PodRuntimeSnapshot, changes: RuntimeChanges | undefined, pod: Pod): Promise<PodRuntimeSnapshot> {
    if (!changes) return this.read(before.podUid, pod);
    const snapshot = await this.opts.reader.refresh(before, changes);
    this.opts.onPodIPs(before.podUid, podIPsOf(pod, snapshot, this.opts.hostIPs));
    return snapshot;
  }

  /** The snapshot of a pod the runtime holds nothing of. */
  private nothingOf(podUid: string, pod: Pod): PodRuntimeSnapshot {
    const snapshot: PodRuntimeSnapshot = { podUid, sandboxes: [], containers: [], timestamp: this.opts.clock.now() };
    this.opts.onPodIPs(podUid, podIPsOf(pod, snapshot, this.opts.hostIPs));
    return snapshot;
  }

  private generate(pod: Pod, snapshot: PodRuntimeSnapshot, podIsTerminal: boolean): PodStatus {
    const uid = pod.metadata.uid ?? '';
    const eviction = this.evictions.get(uid);
    return generatePodStatus({
      pod,
      snapshot,
      previous: this.opts.statusManager.getCachedStatus(uid) ?? pod.status,
      startFailures: this.startFailures.get(uid) ?? NO_FAILURES,
      probes: this.opts.probes,
      hostIPs: this.opts.hostIPs,
      podIsTerminal,
      now: this.opts.clock.now(),
      runtimeName: this.opts.runtimeName(),
      ...(eviction ? { eviction } : {}),
    });
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
