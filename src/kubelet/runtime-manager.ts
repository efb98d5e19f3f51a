// Executes a pod's actions against the runtime in the kubelet's order (kill, prune, sandbox,
// ephemeral, init, regular), and owns the two primitive operations: starting a container (back-off,
// image, config, create, start, postStart) and killing one (preStop, sidecar order, stop signal
// with the remaining grace, never below 2 s).

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from '../api/types.js';
import type { PodSandboxConfig, PodSandboxStatus, Runtime, RuntimeContainer } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import type { LifecycleHandlerRunner } from './hooks/runner.js';
import type { StartFailure } from './status/generate.js';
import { computePodActions, type KillReason, type PodActions, type ProbeKindResult } from './actions.js';
import { Backoff, formatGoDuration } from './backoff.js';
import { buildContainerConfig } from './container-config.js';
import { ContainerConfigError, makeEnvironment } from './env.js';
import { ImageManager, type ImageLookups } from './images.js';
import { containerFieldPath, containerHash, findContainerSpec, formatPod, hasSidecars, isSidecar, nameOf, restartCountOf } from './pod-util.js';
import { managedHostsFile, podLogDirectory, podSandboxConfig, type SandboxContext } from './sandbox.js';
import { StartError } from './start-error.js';
import { TerminationOrdering } from './termination-ordering.js';
import { ANNOTATION_POD_DELETION_GRACE, podReference, type ConfigSource, type EventRecorder, type PodRuntimeSnapshot } from './types.js';
import { DownwardApiError } from './downward.js';

const MINIMUM_GRACE_SECONDS = 2;
const CRASHLOOP_INITIAL_MS = 10_000;
const CRASHLOOP_MAX_MS = 300_000;
const CRASHLOOP_RESET_MS = 600_000;

export interface RuntimeManagerOptions {
  runtime: Runtime;
  clock: Clock;
  recorder: EventRecorder;
  hooks: LifecycleHandlerRunner;
  config: ConfigSource;
  sandbox: SandboxContext;
  hostIPs: string[];
  podDir(podUid: string): string;
  probeResult: ProbeKindResult;
}

export interface PodSyncResult {
  /** Per container name: the failure of this sync's start attempt, or null after a successful start. */
  starts: Map<string, StartFailure | null>;
  /** An error that should make the worker retry (sandbox creation, kill failures). */
  error?: Error;
  /** When a container's crash-loop back-off ends, if one is holding a start back. */
  retryAt?: number;
  /** What the sync changed in the runtime, so that only that is read again; absent when it stopped a whole pod. */
  changes?: RuntimeChanges;
}

export interface RuntimeChanges {
  /** The sandbox the sync created, as the runtime described it. */
  sandbox?: PodSandboxStatus;
  /** Containers created or stopped. */
  containers: Set<string>;
  removed: Set<string>;
}

type ContainerKind = 'init' | 'regular' | 'ephemeral';

export class RuntimeManager {
  readonly crashBackoff: Backoff;
  readonly images: ImageManager;

  constructor(private readonly opts: RuntimeManagerOptions) {
    this.crashBackoff = new Backoff(opts.clock, CRASHLOOP_INITIAL_MS, CRASHLOOP_MAX_MS, CRASHLOOP_RESET_MS);
    this.images = new ImageManager(opts.runtime, opts.clock, opts.recorder, opts.config);
  }

  /** One SyncPod: compute the actions from the snapshot and perform them. */
  async syncPod(pod: Pod, snapshot: PodRuntimeSnapshot, volumePaths: ReadonlyMap<string, string>, signal: AbortSignal): Promise<PodSyncResult> {
    const { runtime, recorder } = this.opts;
    const changes: RuntimeChanges = { containers: new Set(), removed: new Set() };
    const result: PodSyncResult = { starts: new Map(), changes };
    const actions = computePodActions(pod, snapshot, this.opts.probeResult);

    if (actions.createSandbox && actions.sandboxId) {
      recorder.event(podReference(pod), 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    if (actions.killPod) {
      if (snapshot.sandboxes.length > 0 || snapshot.containers.length > 0) delete result.changes;
      await this.killPod(pod, snapshot, undefined, signal);
      if (!actions.createSandbox) return result;
      await this.purgeInitContainers(pod, snapshot);
    } else {
      for (const k of actions.containersToKill) {
        changes.containers.add(k.instance.id);
        await this.killContainer(pod, k.instance, k.container, k.message, k.reason, undefined, undefined, signal);
      }
    }
    await this.pruneInitContainers(pod, snapshot, changes);

    let sandboxId = actions.sandboxId;
    let podIPs = podIPsOf(pod, snapshot, this.opts.hostIPs);
    let onHostNetwork = pod.spec.hostNetwork === true || snapshot.sandboxes[0]?.hostNetwork === true;
    const sandboxConfig = podSandboxConfig(pod, actions.attempt, this.opts.sandbox);
    let lookups: ImageLookups | undefined;
    if (actions.createSandbox) {
      try {
        sandboxId = await runtime.runPodSandbox(sandboxConfig);
        // The images of what is about to start are looked up while the sandbox's address is read.
        lookups = this.images.lookUp(containersToStart(pod, actions));
        const status = await runtime.podSandboxStatus(sandboxId);
        changes.sandbox = status;
        if (status.warning) recorder.event(podReference(pod), 'Warning', status.warning.reason, status.warning.message);
        onHostNetwork = pod.spec.hostNetwork === true || status.hostNetwork;
        podIPs = onHostNetwork ? this.opts.hostIPs : status.ip ? [status.ip, ...status.additionalIps] : [];
      } catch (err) {
        const message = `Failed to create pod sandbox: ${(err as Error).message}`;
        recorder.event(podReference(pod), 'Warning', 'FailedCreatePodSandBox', message);
        result.error = new Error(message);
        return result;
      }
    }
    if (!sandboxId || signal.aborted) return result;
    if (!actions.createSandbox && snapshot.sandboxes[0]?.state !== 'READY') return result;

    // The managed hosts file is (re)written when a container is about to be created, as the kubelet's mounts are made.
    const starting = actions.ephemeralContainersToStart.length + actions.initContainersToStart.length + actions.containersToStart.length > 0;
    const etcHosts = onHostNetwork || !starting ? undefined : this.writeHostsFile(pod, podIPs);
    const ctx: StartContext = { snapshot, sandboxId, sandboxConfig, podIPs, volumePaths, etcHosts, signal, result, changes, ...(lookups ? { lookups } : {}) };

    for (const i of actions.ephemeralContainersToStart) {
      await this.start(pod, pod.spec.ephemeralContainers![i]!, 'ephemeral', ctx);
    }
    for (const i of actions.initContainersToStart) {
      if (signal.aborted) return result;
      const container = pod.spec.initContainers![i]!;
      const ok = await this.start(pod, container, 'init', ctx);
      if (!ok && !isSidecar(container)) return result;
    }
    for (const i of actions.containersToStart) {
      if (signal.aborted) return result;
      await this.start(pod, pod.spec.containers[i]!, 'regular', ctx);
    }
    return result;
  }

  /** Stops every running container (in parallel, sidecars last) and then the sandboxes. */
  async killPod(pod: Pod, snapshot: PodRuntimeSnapshot, gracePeriodOverride: number | undefined, signal?: AbortSignal): Promise<void> {
    const running = snapshot.containers.filter((c) => c.state === 'RUNNING');
    const ordering = hasSidecars(pod) ? new TerminationOrdering(pod, new Set(running.map(nameOf)), this.opts.clock) : undefined;
    const results = await Promise.allSettled(
      running.map((c) => this.killContainer(pod, c, findContainerSpec(pod, nameOf(c)), '', 'other', gracePeriodOverride, ordering, signal)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // An interrupted kill is redone with a shorter grace; the sandbox must outlive it.
    if (signal?.aborted) return;
    for (const s of snapshot.sandboxes) await this.opts.runtime.stopPodSandbox(s.id);
    if (failed) throw failed.reason;
  }

  async killContainer(
    pod: Pod,
    instance: RuntimeContainer,
    container: Container | undefined,
    message: string,
    reason: KillReason,
    gracePeriodOverride?: number,
    ordering?: TerminationOrdering,
    signal?: AbortSignal,
  ): Promise<void> {
    const name = nameOf(instance);
    let grace = terminationGracePeriod(pod, container, instance, reason);
    this.opts.recorder.event(podReference(pod, containerFieldPath(pod, name)), 'Normal', 'Killing', message || `Stopping container ${name}`);
    if (gracePeriodOverride !== undefined) grace = gracePeriodOverride;
    const preStop = container?.lifecycle?.preStop;
    if (preStop && grace > 0) grace -= await untilAborted(this.runPreStop(pod, container!, instance.id, grace), signal, 0);
    if (ordering && grace > 0) grace -= Math.trunc(await untilAborted(ordering.waitForTurn(name, grace), signal, 0));
    if (signal?.aborted) return;
    if (grace < MINIMUM_GRACE_SECONDS) grace = MINIMUM_GRACE_SECONDS;
    const stopped = this.opts.runtime.stopContainer(instance.id, grace).finally(() => ordering?.containerTerminated(name));
    await untilAborted(stopped, signal, undefined);
  }

  /** The waiting reason a back-off imposes on a container's next start, if any. */
  private doBackOff(pod: Pod, container: Container, snapshot: PodRuntimeSnapshot, result: PodSyncResult): StartError | undefined {
    const exited = snapshot.containers.find((c) => nameOf(c) === container.name && c.state === 'EXITED');
    if (!exited) return undefined;
    const finishedAt = exited.finishedAt ?? 0;
    const key = `${pod.metadata.name}_${pod.metadata.namespace}_${pod.metadata.uid}_${container.name}_${containerHash(container)}`;
    if (this.crashBackoff.isInBackOffSince(key, finishedAt)) {
      this.opts.recorder.event(
        podReference(pod, containerFieldPath(pod, container.name)),
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${container.name} in pod ${formatPod(pod)}`,
      );
      const releaseAt = this.crashBackoff.releaseAt(key, finishedAt)!;
      result.retryAt = result.retryAt === undefined ? releaseAt : Math.min(result.retryAt, releaseAt);
      const delay = formatGoDuration(this.crashBackoff.get(key));
      return new StartError('CrashLoopBackOff', `back-off ${delay} restarting failed container=${container.name} pod=${formatPod(pod)}`);
    }
    this.crashBackoff.next(key, finishedAt);
    return undefined;
  }

  /** Starts one container, recording the outcome; resolves whether it started. */
  private async start(pod: Pod, container: Container, kind: ContainerKind, ctx: StartContext): Promise<boolean> {
    const backoff = kind === 'ephemeral' ? undefined : this.doBackOff(pod, container, ctx.snapshot, ctx.result);
    if (backoff) {
      ctx.result.starts.set(container.name, { reason: backoff.reason, message: backoff.detail });
      return false;
    }
    try {
      await this.startContainer(pod, container, ctx);
      ctx.result.starts.set(container.name, null);
      return true;
    } catch (err) {
      const failure = err instanceof StartError ? err : new StartError('RunContainerError', (err as Error).message);
      ctx.result.starts.set(container.name, { reason: failure.reason, message: failure.detail });
      if (failure.reason === 'ImagePullBackOff') {
        const releaseAt = this.images.backOffReleaseAt(pod, container);
        if (releaseAt !== undefined) ctx.result.retryAt = ctx.result.retryAt === undefined ? releaseAt : Math.min(ctx.result.retryAt, releaseAt);
      }
      return false;
    }
  }

  private async startContainer(pod: Pod, container: Container, ctx: StartContext): Promise<void> {
    const { runtime, recorder } = this.opts;
    const ref = podReference(pod, containerFieldPath(pod, container.name));
    const failed = (reason: string, detail: string, eventText = detail): never => {
      recorder.event(ref, 'Warning', 'Failed', `Error: ${eventText}`);
      throw new StartError(reason, detail);
    };

    const previous = ctx.snapshot.containers.find((c) => nameOf(c) === container.name);
    // Read meanwhile: it never fails.
    const restartCountRead = previous ? Promise.resolve(restartCountOf(previous) + 1) : this.restartCountFromLogs(pod, container.name);
    try {
      await this.images.ensureImage(pod, container, ctx.lookups);
    } catch (err) {
      const e = err as StartError;
      failed(e.reason, e.detail, e.reason);
    }
    const restartCount = await restartCountRead;

    let config;
    try {
      const build = async () => {
        const env = await makeEnvironment(pod, container, this.opts.config, { podIPs: ctx.podIPs, hostIPs: this.opts.hostIPs });
        return buildContainerConfig({
          pod,
          container,
          restartCount,
          env,
          volumePaths: ctx.volumePaths,
          podDir: this.opts.podDir(pod.metadata.uid ?? ''),
          ...(ctx.etcHosts ? { etcHostsPath: ctx.etcHosts.path } : {}),
        });
      };
      [config] = await Promise.all([build(), ctx.etcHosts?.written]);
    } catch (err) {
      if (err instanceof ContainerConfigError || err instanceof DownwardApiError) failed('CreateContainerConfigError', err.message);
      throw err;
    }

    let id: string;
    try {
      id = await runtime.createContainer(ctx.sandboxId, config, ctx.sandboxConfig);
    } catch (err) {
      failed('CreateContainerError', (err as Error).message);
    }
    ctx.changes.containers.add(id!);
    recorder.event(ref, 'Normal', 'Created', `Created container: ${container.name}`);
    try {
      await runtime.startContainer(id!);
    } catch (err) {
      failed('RunContainerError', (err as Error).message);
    }
    recorder.event(ref, 'Normal', 'Started', `Started container ${container.name}`);

    const postStart = container.lifecycle?.postStart;
    if (!postStart) return;
    const hookError = await this.opts.hooks.run(pod, container, id!, 'PostStart', postStart, ctx.signal);
    if (hookError === undefined) return;
    recorder.event(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
    const instance = await runtime.containerStatus(id!);
    await this.killContainer(pod, instance, container, 'FailedPostStartHook', 'postStartHook', undefined, undefined, ctx.signal);
    throw new StartError('PostStartHookError', hookError);
  }

  private async runPreStop(pod: Pod, container: Container, containerId: string, graceSeconds: number): Promise<number> {
    const { clock, hooks, recorder } = this.opts;
    const start = clock.now();
    const timeout = new AbortController();
    const hook = hooks
      .run(pod, container, containerId, 'PreStop', container.lifecycle!.preStop!)
      .catch((err: Error) => err.message)
      .then((error) => {
        if (error !== undefined) recorder.event(podReference(pod, containerFieldPath(pod, container.name)), 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
      });
    await Promise.race([hook, clock.sleep(graceSeconds * 1000, timeout.signal).catch(() => undefined)]);
    timeout.abort();
    return Math.trunc((clock.now() - start) / 1000);
  }

  /** Without runtime history, the restart count continues after the highest `<n>.log` kept. */
  private async restartCountFromLogs(pod: Pod, name: string): Promise<number> {
    const dir = join(podLogDirectory(this.opts.sandbox.logRoot, pod), name);
    const entries = await readdir(dir).catch(() => [] as string[]);
    let highest = -1;
    for (const e of entries) {
      const m = /^(\d+)\.log(\.\d+)?$/.exec(e);
      if (m) highest = Math.max(highest, Number(m[1]));
    }
    return highest + 1;
  }

  /** Starts writing the pod's hosts file; the containers' configs are built meanwhile (a failure fails them as the kubelet's mounts do). */
  private writeHostsFile(pod: Pod, podIPs: string[]): EtcHosts {
    const dir = this.opts.podDir(pod.metadata.uid ?? '');
    const path = join(dir, 'etc-hosts');
    const written = (async () => {
      await mkdir(dir, { recursive: true });
      await writeFile(path, managedHostsFile(pod, podIPs, this.opts.sandbox.clusterDomain));
    })().catch((err: Error) => {
      throw new ContainerConfigError(err.message);
    });
    written.catch(() => undefined);
    return { path, written };
  }

  /** After sandbox recreation, init containers run again from the first: drop their old instances. */
  private async purgeInitContainers(pod: Pod, snapshot: PodRuntimeSnapshot): Promise<void> {
    const names = new Set((pod.spec.initContainers ?? []).map((c) => c.name));
    for (const c of snapshot.containers) {
      if (names.has(nameOf(c))) await this.opts.runtime.removeContainer(c.id).catch(() => undefined);
    }
  }

  /** Keeps only the newest exited instance of each init container. */
  private async pruneInitContainers(pod: Pod, snapshot: PodRuntimeSnapshot, changes: RuntimeChanges): Promise<void> {
    const names = new Set((pod.spec.initContainers ?? []).map((c) => c.name));
    const seen = new Set<string>();
    for (const c of snapshot.containers) {
      const name = nameOf(c);
      if (!names.has(name) || c.state !== 'EXITED') continue;
      if (seen.has(name)) {
        changes.removed.add(c.id);
        await this.opts.runtime.removeContainer(c.id).catch(() => undefined);
      } else seen.add(name);
    }
  }
}

interface EtcHosts {
  path: string;
  written: Promise<void>;
}

interface StartContext {
  snapshot: PodRuntimeSnapshot;
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  podIPs: string[];
  volumePaths: ReadonlyMap<string, string>;
  etcHosts: EtcHosts | undefined;
  signal: AbortSignal;
  result: PodSyncResult;
  changes: RuntimeChanges;
  lookups?: ImageLookups;
}

/** The containers a sync's actions start, in the order they start. */
function containersToStart(pod: Pod, actions: PodActions): Container[] {
  return [
    ...actions.ephemeralContainersToStart.map((i) => pod.spec.ephemeralContainers![i]! as Container),
    ...actions.initContainersToStart.map((i) => pod.spec.initContainers![i]!),
    ...actions.containersToStart.map((i) => pod.spec.containers[i]!),
  ];
}

/** Waits for `work`, or resolves with `fallback` as soon as `signal` aborts (the work goes on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, fallback: T): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve(fallback);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(fallback);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The pod's IPs: its ready sandbox's, or the node's for a sandbox on the host network. */
export function podIPsOf(pod: Pod | undefined, snapshot: PodRuntimeSnapshot, hostIPs: string[]): string[] {
  const s = snapshot.sandboxes[0];
  if (pod?.spec.hostNetwork || (s?.state === 'READY' && s.hostNetwork)) return hostIPs;
  if (!s || s.state !== 'READY' || !s.ip) return [];
  return [s.ip, ...s.additionalIps];
}

/** The grace a kill starts from: the deletion's, else a failed probe's own, else the pod's. */
function terminationGracePeriod(pod: Pod, container: Container | undefined, instance: RuntimeContainer, reason: KillReason): number {
  if (pod.metadata.deletionGracePeriodSeconds !== undefined) return pod.metadata.deletionGracePeriodSeconds;
  if (reason === 'startup' && container?.startupProbe?.terminationGracePeriodSeconds !== undefined) {
    return container.startupProbe.terminationGracePeriodSeconds;
  }
  if (reason === 'liveness' && container?.livenessProbe?.terminationGracePeriodSeconds !== undefined) {
    return container.livenessProbe.terminationGracePeriodSeconds;
  }
  if (pod.spec.terminationGracePeriodSeconds !== undefined) return pod.spec.terminationGracePeriodSeconds;
  const recorded = Number(instance.annotations[ANNOTATION_POD_DELETION_GRACE]);
  return Number.isFinite(recorded) ? recorded : MINIMUM_GRACE_SECONDS;
}

