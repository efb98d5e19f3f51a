// Decides what one sync must do to bring the runtime in line with the pod spec, as the kubelet's
// computePodActions: whether the sandbox must be (re)created, which init containers and regular
// containers to start, which instances to kill and why.

import type { Container, Pod } from '../api/types.js';
import type { RuntimeContainer } from '../runtime/types.js';
import type { PodRuntimeSnapshot } from './types.js';
import { definitionChanged, isSidecar, nameOf, restartPolicyOf } from './pod-util.js';

export type ProbeKindResult = (containerId: string, kind: 'liveness' | 'startup') => 'success' | 'failure' | undefined;

/** Why an instance is killed; liveness and startup kills may use the probe's grace period. */
export type KillReason = 'liveness' | 'startup' | 'postStartHook' | 'unknown' | 'other';

export interface ContainerToKill {
  instance: RuntimeContainer;
  container: Container;
  /** Text of the Killing event. */
  message: string;
  reason: KillReason;
}

export interface PodActions {
  killPod: boolean;
  createSandbox: boolean;
  /** The newest sandbox, when one exists. */
  sandboxId?: string;
  attempt: number;
  /** Indexes into spec.initContainers, in spec order. */
  initContainersToStart: number[];
  /** Indexes into spec.containers, in spec order. */
  containersToStart: number[];
  ephemeralContainersToStart: number[];
  containersToKill: ContainerToKill[];
}

/** The newest instance of each container name. */
export function newestByName(snapshot: PodRuntimeSnapshot): Map<string, RuntimeContainer> {
  const out = new Map<string, RuntimeContainer>();
  for (const c of snapshot.containers) {
    const name = nameOf(c);
    if (!out.has(name)) out.set(name, c);
  }
  return out;
}

export function sandboxChanged(pod: Pod, snapshot: PodRuntimeSnapshot): { changed: boolean; attempt: number; sandboxId?: string } {
  const newest = snapshot.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0 };
  const ready = snapshot.sandboxes.filter((s) => s.state === 'READY').length;
  // A runtime without pod networking runs every sandbox on the host network; that is not a change.
  const lostNetwork = pod.spec.hostNetwork ? !newest.hostNetwork : !newest.hostNetwork && !newest.ip;
  const changed = ready > 1 || newest.state !== 'READY' || lostNetwork;
  return { changed, attempt: changed ? newest.attempt + 1 : newest.attempt, sandboxId: newest.id };
}

/** `ShouldContainerBeRestarted`: whether a container that is not running must be started. */
export function shouldContainerBeRestarted(pod: Pod, newest: RuntimeContainer | undefined): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  if (!newest) return true;
  if (newest.state === 'RUNNING') return false;
  if (newest.state === 'UNKNOWN' || newest.state === 'CREATED') return true;
  const policy = restartPolicyOf(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && newest.exitCode === 0) return false;
  return true;
}

function isInitFailed(c: RuntimeContainer): boolean {
  return (c.state === 'EXITED' && (c.exitCode !== 0 || c.reason === 'OOMKilled')) || c.state === 'UNKNOWN';
}

export function computePodActions(pod: Pod, snapshot: PodRuntimeSnapshot, probe: ProbeKindResult): PodActions {
  const byName = newestByName(snapshot);
  const sandbox = sandboxChanged(pod, snapshot);
  const actions: PodActions = {
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    attempt: sandbox.attempt,
    ...(sandbox.sandboxId ? { sandboxId: sandbox.sandboxId } : {}),
    initContainersToStart: [],
    containersToStart: [],
    ephemeralContainersToStart: [],
    containersToKill: [],
  };
  const restartOnFailure = restartPolicyOf(pod) !== 'Never';
  const initContainers = pod.spec.initContainers ?? [];

  if (sandbox.changed) {
    if (!restartOnFailure && sandbox.attempt !== 0 && snapshot.containers.length > 0) {
      // A Never pod whose sandbox went away is done; only clean up.
      actions.createSandbox = false;
      return actions;
    }
    const toStart = pod.spec.containers
      .map((c, i) => [c, i] as const)
      .filter(([c]) => !(restartPolicyOf(pod) === 'OnFailure' && succeeded(byName.get(c.name))))
      .map(([, i]) => i);
    if (toStart.length === 0 && anyRegularCreated(pod, byName)) {
      actions.createSandbox = false;
      return actions;
    }
    if (initContainers.length > 0) actions.initContainersToStart = [0];
    else actions.containersToStart = toStart;
    return actions;
  }

  (pod.spec.ephemeralContainers ?? []).forEach((c, i) => {
    if (!byName.has(c.name)) actions.ephemeralContainersToStart.push(i);
  });

  const initialized = computeInitContainerActions(pod, byName, probe, actions);
  if (actions.killPod || !initialized) return actions;

  let keep = 0;
  pod.spec.containers.forEach((container, index) => {
    const newest = byName.get(container.name);
    if (!newest || newest.state !== 'RUNNING') {
      if (shouldContainerBeRestarted(pod, newest)) {
        actions.containersToStart.push(index);
        if (newest?.state === 'UNKNOWN') {
          actions.containersToKill.push({ instance: newest, container, message: `Container is in "UNKNOWN" state, try killing it before restart`, reason: 'unknown' });
        }
      }
      return;
    }
    let message: string;
    let reason: KillReason = 'other';
    let restart = restartOnFailure;
    if (definitionChanged(container, newest)) {
      message = `Container ${container.name} definition changed`;
      restart = true;
    } else if (probe(newest.id, 'liveness') === 'failure') {
      message = `Container ${container.name} failed liveness probe`;
      reason = 'liveness';
    } else if (probe(newest.id, 'startup') === 'failure') {
      message = `Container ${container.name} failed startup probe`;
      reason = 'startup';
    } else {
      keep++;
      return;
    }
    if (restart) {
      message += ', will be restarted';
      actions.containersToStart.push(index);
    }
    actions.containersToKill.push({ instance: newest, container, message, reason });
  });

  if (keep === 0 && actions.containersToStart.length === 0) {
    // Every regular container is done: the pod is finished and sidecars must not keep it alive.
    actions.killPod = true;
    actions.initContainersToStart = [];
  }
  return actions;
}

function succeeded(c: RuntimeContainer | undefined): boolean {
  return c?.state === 'EXITED' && c.exitCode === 0;
}

function anyRegularCreated(pod: Pod, byName: Map<string, RuntimeContainer>): boolean {
  return pod.spec.containers.some((c) => {
    const s = byName.get(c.name)?.state;
    return s === 'CREATED' || s === 'RUNNING' || s === 'EXITED';
  });
}

/** Walks init containers from the last one; returns whether the pod is initialized. */
function computeInitContainerActions(pod: Pod, byName: Map<string, RuntimeContainer>, probe: ProbeKindResult, actions: PodActions): boolean {
  const initContainers = pod.spec.initContainers ?? [];
  if (initContainers.length === 0) return true;

  let initialized = pod.spec.containers.some((c) => {
    const s = byName.get(c.name)?.state;
    return s === 'CREATED' || s === 'RUNNING';
  });
  let previouslyInitialized = initialized;
  const restartOnFailure = restartPolicyOf(pod) !== 'Never';
  const toStart: number[] = [];
  const kill = (instance: RuntimeContainer, container: Container, message: string, reason: KillReason) =>
    actions.containersToKill.push({ instance, container, message, reason });

  for (let i = initContainers.length - 1; i >= 0; i--) {
    const container = initContainers[i]!;
    const sidecar = isSidecar(container);
    const status = byName.get(container.name);
    if (!status) {
      if (previouslyInitialized && sidecar) toStart.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    switch (status.state) {
      case 'CREATED':
        toStart.push(i);
        break;
      case 'RUNNING': {
        if (!sidecar) break;
        if (container.startupProbe) {
          const startup = probe(status.id, 'startup');
          if (startup === undefined) break;
          if (startup === 'failure') {
            kill(status, container, `Init container ${container.name} failed startup probe`, 'startup');
            toStart.push(i);
            break;
          }
        }
        if (i === initContainers.length - 1) initialized = true;
        else if (!previouslyInitialized) toStart.push(i + 1);
        if (definitionChanged(container, status)) {
          kill(status, container, `Init container ${container.name} definition changed`, 'other');
          toStart.push(i);
          break;
        }
        if (container.livenessProbe && probe(status.id, 'liveness') === 'failure') {
          kill(status, container, `Init container ${container.name} failed liveness probe`, 'liveness');
          toStart.push(i);
        }
        break;
      }
      case 'EXITED':
        if (sidecar) {
          toStart.push(i);
        } else if (isInitFailed(status)) {
          if (!restartOnFailure) {
            actions.killPod = true;
            actions.initContainersToStart = [];
            return false;
          }
          toStart.push(i);
        } else if (i === initContainers.length - 1) {
          initialized = true;
        } else {
          toStart.push(i + 1);
        }
        break;
      default:
        if (!sidecar && !restartOnFailure) {
          actions.killPod = true;
          actions.initContainersToStart = [];
          return false;
        }
        kill(status, container, `Init container is in "UNKNOWN" state, try killing it before restart`, 'unknown');
        toStart.push(i);
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) toStart.push(0);
  actions.initContainersToStart = toStart.reverse();
  return initialized;
}
