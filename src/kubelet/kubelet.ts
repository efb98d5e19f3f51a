// The node agent: takes the pods bound to this node, runs one worker per pod, turns runtime
// changes (relist) and probe results into syncs, cleans up what is no longer wanted, and answers
// the API server's questions about logs and containers.

import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import type { DnsConfig, Runtime } from '../runtime/types.js';
import type { Clock, Timer } from '../util/clock.js';
import { KubeletEventRecorder, type EventSink } from './events.js';
import { LifecycleHandlerRunner } from './hooks/runner.js';
import type { ProbeNetwork } from './network.js';
import { PodSyncHandler } from './pod-sync.js';
import { PodWorkers } from './pod-workers.js';
import { RuntimeEventGenerator, type PodLifecycleEvent } from './pleg.js';
import { ProbeManager } from './prober/manager.js';
import { RuntimeManager } from './runtime-manager.js';
import { RuntimeStateReader, sandboxPodUid } from './runtime-state.js';
import { StatusManager } from './status/manager.js';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID, type ConfigSource, type PodStatusWriter } from './types.js';
import { VolumeManager } from './volumes/manager.js';
import { nameOf } from './pod-util.js';
import { ContainerLogError, logContainerId } from './logs.js';
import { IMAGE_GC_PERIOD_MS, ImageGarbageCollector, imageFsStatsOf, type ImageGCPolicy } from './image-gc.js';

export interface KubeletOptions {
  nodeName: string;
  runtime: Runtime;
  clock: Clock;
  statusWriter: PodStatusWriter;
  eventSink: EventSink;
  config: ConfigSource;
  network: ProbeNetwork;
  /** Pods' volumes (`pods/<uid>`) and logs (`logs/<ns>_<name>_<uid>`) live here. */
  rootDir: string;
  hostIPs: string[];
  /** The cluster DNS service (servers, extra searches, options) for ClusterFirst pods. */
  dnsConfig?: DnsConfig;
  clusterDomain?: string;
  tokenSource?(pod: Pod, audience?: string, expirationSeconds?: number): Promise<string>;
  /** Periodic re-sync of each pod (default 60 s). */
  resyncMs?: number;
  /** Status manager full resync (default 10 s). */
  statusSyncMs?: number;
  /** Source of the prober's first-run jitter after a start (default Math.random). */
  probeRandom?(): number;
  onError?(context: string, err: unknown): void;
  /** Image garbage collection thresholds, or false to keep every image (default: Kubernetes' 85/80 %). */
  imageGC?: Partial<ImageGCPolicy> | false;
}

const HOUSEKEEPING_MS = 2000;
const CONTAINER_GC_MS = 60_000;
const ORPHAN_GRACE_SECONDS = 1;

export class Kubelet {
  readonly recorder: KubeletEventRecorder;
  readonly statusManager: StatusManager;
  readonly probeManager: ProbeManager;
  private readonly runtime: Runtime;
  private readonly clock: Clock;
  private readonly volumes: VolumeManager;
  private readonly runtimeManager: RuntimeManager;
  private readonly syncHandler: PodSyncHandler;
  private readonly stateReader: RuntimeStateReader;
  private readonly podWorkers: PodWorkers;
  private readonly pleg: RuntimeEventGenerator;
  private readonly desired = new Map<string, Pod>();
  private readonly podIPs = new Map<string, string[]>();
  private runtimeName = 'k8ts';
  private sourcesReady = false;
  private started = false;
  private housekeepingTimer: Timer | undefined;
  private housekeepingRun: Promise<void> | undefined;
  private lastContainerGc = 0;
  private readonly imageGc: ImageGarbageCollector | undefined;
  private lastImageGc = 0;

  constructor(private readonly opts: KubeletOptions) {
    this.runtime = opts.runtime;
    this.clock = opts.clock;
    const podIP = (uid: string) => this.podIPs.get(uid)?.[0];
    this.recorder = new KubeletEventRecorder({ sink: opts.eventSink, clock: opts.clock, component: 'kubelet', host: opts.nodeName });
    this.statusManager = new StatusManager({
      writer: opts.statusWriter,
      clock: opts.clock,
      ...(opts.statusSyncMs ? { syncPeriodMs: opts.statusSyncMs } : {}),
      canBeDeleted: (pod) => this.podWorkers.isTerminated(pod.metadata.uid ?? ''),
      couldHaveRunningContainers: (pod) => !this.podWorkers.isTerminated(pod.metadata.uid ?? ''),
      onError: (pod, err) => opts.onError?.(`status of pod ${pod.metadata.uid}`, err),
    });
    this.probeManager = new ProbeManager({
      runtime: opts.runtime,
      clock: opts.clock,
      recorder: this.recorder,
      network: opts.network,
      podIP,
      onResultChange: (uid) => this.syncPodByUid(uid),
      ...(opts.probeRandom ? { random: opts.probeRandom } : {}),
    });
    const hooks = new LifecycleHandlerRunner({ runtime: opts.runtime, clock: opts.clock, network: opts.network, podIP, recorder: this.recorder });
    this.volumes = new VolumeManager({ rootDir: opts.rootDir, config: opts.config, clock: opts.clock, ...(opts.tokenSource ? { tokenSource: opts.tokenSource } : {}) });
    const podDir = (uid: string) => this.volumes.podDir(uid);
    this.stateReader = new RuntimeStateReader(opts.runtime, podDir, () => opts.clock.now());
    this.runtimeManager = new RuntimeManager({
      runtime: opts.runtime,
      clock: opts.clock,
      recorder: this.recorder,
      hooks,
      config: opts.config,
      sandbox: {
        ...(opts.dnsConfig ? { clusterDns: opts.dnsConfig } : {}),
        clusterDomain: opts.clusterDomain ?? 'cluster.local',
        logRoot: join(opts.rootDir, 'logs'),
      },
      hostIPs: opts.hostIPs,
      podDir,
      probeResult: (id, kind) => this.probeManager.result(id, kind),
    });
    const imageFsStats = opts.imageGC === false ? undefined : imageFsStatsOf(opts.runtime);
    if (imageFsStats) {
      const gc = new ImageGarbageCollector({
        runtime: opts.runtime,
        clock: opts.clock,
        recorder: this.recorder,
        nodeName: opts.nodeName,
        stats: imageFsStats,
        ...(opts.imageGC ? { policy: opts.imageGC } : {}),
      });
      this.imageGc = gc;
      this.runtimeManager.images.onImageUsed((ref) => gc.markUsed(ref));
    }
    this.syncHandler = new PodSyncHandler({
      clock: opts.clock,
      recorder: this.recorder,
      reader: this.stateReader,
      runtime: this.runtimeManager,
      statusManager: this.statusManager,
      probes: this.probeManager,
      volumes: this.volumes,
      hostIPs: opts.hostIPs,
      runtimeName: () => this.runtimeName,
      onPodIPs: (uid, ips) => {
        if (ips.length) this.podIPs.set(uid, ips);
      },
      runtimeHeldNothingOf: (uid) => this.pleg.heldNothingOf(uid),
    });
    this.podWorkers = new PodWorkers({
      syncer: this.syncHandler,
      clock: opts.clock,
      ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}),
      onError: (uid, err) => opts.onError?.(`sync of pod ${uid}`, err),
    });
    this.pleg = new RuntimeEventGenerator({
      runtime: opts.runtime,
      clock: opts.clock,
      onEvents: (events) => this.handleRuntimeEvents(events),
      onError: (err) => opts.onError?.('relist', err),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.runtimeName = (await this.runtime.version()).runtimeName;
    this.statusManager.start();
    await this.pleg.relist();
    this.pleg.start();
    this.scheduleHousekeeping();
  }

  /** Stops the agent; containers keep running, as when a kubelet restarts. */
  async stop(): Promise<void> {
    this.started = false;
    this.housekeepingTimer?.cancel();
    await this.housekeepingRun;
    await this.pleg.stop();
    await this.podWorkers.stop();
    this.probeManager.stop();
    await this.statusManager.stop();
    await this.recorder.flush();
  }

  /** The complete set of pods bound to this node (the first call also unlocks orphan cleanup). */
  updatePods(pods: Pod[]): void {
    const seen = new Set<string>();
    for (const pod of pods) {
      if (!this.isForThisNode(pod)) continue;
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      const before = this.desired.get(uid);
      if (!before) this.podAdded(pod);
      else if (before !== pod && before.metadata.resourceVersion !== pod.metadata.resourceVersion) this.podUpdated(pod);
    }
    for (const [uid, pod] of this.desired) if (!seen.has(uid)) this.podDeleted(pod);
    this.sourcesReady = true;
  }

  /** Marks the pod source as having delivered everything once, without a full list. */
  markSourcesReady(): void {
    this.sourcesReady = true;
  }

  podAdded(pod: Pod): void {
    if (!this.isForThisNode(pod)) return;
    this.desired.set(pod.metadata.uid ?? '', pod);
    this.podWorkers.updatePod({ type: 'create', pod });
  }

  podUpdated(pod: Pod): void {
    if (!this.isForThisNode(pod)) return;
    this.desired.set(pod.metadata.uid ?? '', pod);
    // The echo of the agent's own status write changes nothing a sync acts on (the kubelet's pod
    // config sends no update for a status-only change): the worker keeps the newer object for its
    // next sync, unless its last sync started containers whose status is still to be reported.
    const uid = pod.metadata.uid ?? '';
    if (this.statusManager.isOwnWrite(pod) && !this.syncHandler.hasUnreportedStarts(uid) && this.podWorkers.replacePod(pod)) return;
    this.podWorkers.updatePod({ type: 'update', pod });
  }

  podDeleted(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    this.desired.delete(uid);
    this.podWorkers.updatePod({ type: 'kill', pod });
  }

  /**
   * The log file `kubectl logs` reads for a container: its current instance or, with `previous`,
   * the last terminated one. Rejects with a ContainerLogError in Kubernetes' words when there is none.
   */
  async logPath(podUid: string, containerName: string, previous: boolean): Promise<string> {
    const pod = this.desired.get(podUid);
    const status = this.statusManager.getCachedStatus(podUid) ?? pod?.status;
    const id = logContainerId(pod?.metadata.name ?? podUid, status, containerName, previous);
    try {
      return (await this.runtime.containerStatus(id)).logPath;
    } catch (err) {
      throw new ContainerLogError(`failed to get container status ${JSON.stringify(id)}: ${(err as Error).message}`);
    }
  }

  /** The runtime id of the container's newest instance. */
  async containerId(pod: Pod, containerName: string): Promise<string | undefined> {
    return (await this.instances(pod.metadata.uid ?? '', containerName))[0]?.id;
  }

  /** The pod's sandbox id (for port-forwarding). */
  async sandboxId(podUid: string): Promise<string | undefined> {
    const ready = (await this.runtime.listPodSandboxes({ labels: { [LABEL_POD_UID]: podUid }, state: 'READY' }))
      .filter((s) => sandboxPodUid(s) === podUid && s.state === 'READY')
      .sort((a, b) => b.createdAt - a.createdAt);
    return ready[0]?.id;
  }

  /** Resolves when no sync, relist, housekeeping or status write is in flight (for tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.pleg.idle();
      await this.housekeepingRun;
      await this.podWorkers.idle();
      await this.statusManager.flush();
      await this.recorder.flush();
    }
  }

  /** One round of cleanup now (it also runs every 2 s). */
  housekeeping(): Promise<void> {
    if (!this.housekeepingRun) {
      this.housekeepingRun = this.doHousekeeping()
        .catch((err) => this.opts.onError?.('housekeeping', err))
        .finally(() => (this.housekeepingRun = undefined));
    }
    return this.housekeepingRun;
  }

  private isForThisNode(pod: Pod): boolean {
    return !pod.spec.nodeName || pod.spec.nodeName === this.opts.nodeName;
  }

  private syncPodByUid(uid: string): void {
    const pod = this.desired.get(uid);
    if (pod) this.podWorkers.updatePod({ type: 'sync', pod });
    else this.podWorkers.updatePod({ type: 'sync', podUid: uid });
  }

  private handleRuntimeEvents(events: PodLifecycleEvent[]): void {
    const pods = new Set(events.map((e) => e.podUid));
    for (const uid of pods) if (this.desired.has(uid) || this.podWorkers.has(uid)) this.syncPodByUid(uid);
  }

  private scheduleHousekeeping(): void {
    this.housekeepingTimer = this.clock.setTimeout(() => {
      if (!this.started) return;
      void this.housekeeping().finally(() => {
        if (this.started) this.scheduleHousekeeping();
      });
    }, HOUSEKEEPING_MS);
  }

  private async doHousekeeping(): Promise<void> {
    const known = new Set(this.podWorkers.knownPods());
    for (const uid of known) {
      if (this.desired.has(uid)) continue;
      if (this.podWorkers.isFinished(uid)) {
        if (this.podWorkers.forget(uid)) await this.cleanUpPod(uid);
      } else if (!this.podWorkers.isTerminationRequested(uid)) {
        this.podWorkers.updatePod({ type: 'kill', podUid: uid });
      }
    }
    if (this.sourcesReady) {
      for (const [uid, rp] of this.pleg.runtimePods()) {
        if (known.has(uid) || this.desired.has(uid)) continue;
        const active = rp.containers.some((c) => c.state === 'RUNNING') || rp.sandboxes.some((s) => s.state === 'READY');
        if (active) this.podWorkers.updatePod({ type: 'kill', podUid: uid, gracePeriodOverride: ORPHAN_GRACE_SECONDS });
        else await this.cleanUpPod(uid);
      }
    }
    const now = this.clock.now();
    if (now - this.lastContainerGc >= CONTAINER_GC_MS) {
      this.lastContainerGc = now;
      await this.collectDeadContainers();
      this.runtimeManager.crashBackoff.gc();
      this.runtimeManager.images.gc();
    }
    if (this.imageGc && now - this.lastImageGc >= IMAGE_GC_PERIOD_MS) {
      this.lastImageGc = now;
      await this.imageGc.garbageCollect().catch((err) => this.opts.onError?.('image garbage collection', err));
    }
  }

  /** Removes what remains of a pod that is gone: sandboxes, containers, its directory. */
  private async cleanUpPod(uid: string): Promise<void> {
    this.statusManager.removePod(uid);
    this.syncHandler.forget(uid);
    this.stateReader.forget(uid);
    this.podIPs.delete(uid);
    for (const s of this.pleg.runtimePods().get(uid)?.sandboxes ?? []) await this.runtime.removePodSandbox(s.id).catch(() => undefined);
    await this.volumes.removePodDir(uid);
  }

  /** Keeps at most one dead instance per container of live pods. */
  private async collectDeadContainers(): Promise<void> {
    for (const [uid, rp] of this.pleg.runtimePods()) {
      if (!this.desired.has(uid)) continue;
      const kept = new Set<string>();
      const byAge = rp.containers.filter((c) => c.state === 'EXITED').sort((a, b) => b.createdAt - a.createdAt);
      for (const c of byAge) {
        const name = nameOf(c);
        if (!kept.has(name)) kept.add(name);
        else await this.runtime.removeContainer(c.id).catch(() => undefined);
      }
    }
  }

  private async instances(podUid: string, containerName: string) {
    const list = await this.runtime.listContainers({ labels: { [LABEL_POD_UID]: podUid, [LABEL_CONTAINER_NAME]: containerName } });
    return list.sort((a, b) => b.createdAt - a.createdAt);
  }
}
