// API container statuses from what the runtime holds, the previous status and the start failures the
// sync loop remembers (the kubelet's convertToAPIContainerStatuses).

import type { Container, ContainerState, ContainerStatus, Pod } from '../../api/types.js';
import type { RuntimeContainer } from '../../runtime/types.js';
import { rfc3339 } from '../../util/clock.js';
import { ANNOTATION_RESTART_COUNT } from '../types.js';

export interface StartFailure {
  reason: string;
  message: string;
}

export const UNKNOWN_STATUS_REASON = 'ContainerStatusUnknown';
export const LOST_ON_TERMINATION_MESSAGE = 'The container could not be located when the pod was terminated';
const LOST_WHILE_RUNNING_MESSAGE = 'The container could not be located when the pod was deleted.  The container used to be Running';

export function restartCountOf(rc: RuntimeContainer): number {
  const n = Number.parseInt(rc.annotations[ANNOTATION_RESTART_COUNT] ?? '', 10);
  return Number.isFinite(n) ? n : rc.attempt;
}

/** Runtime instances newest first (by creation). */
export function newestFirst(containers: readonly RuntimeContainer[]): RuntimeContainer[] {
  return [...containers].sort((a, b) => b.createdAt - a.createdAt);
}

export function newestInstance(containers: readonly RuntimeContainer[], name: string): RuntimeContainer | undefined {
  let best: RuntimeContainer | undefined;
  for (const c of containers) if (c.name === name && (!best || c.createdAt > best.createdAt)) best = c;
  return best;
}

/** The kubelet's ShouldContainerBeRestarted for a container spec and the runtime's instances. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, runtimeContainers: readonly RuntimeContainer[]): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const newest = newestInstance(runtimeContainers, container.name);
  if (!newest) return true;
  if (newest.state === 'RUNNING') return false;
  if (newest.state === 'UNKNOWN' || newest.state === 'CREATED') return true;
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && newest.exitCode === 0) return false;
  return true;
}

function time(ms: number | undefined): string | null {
  return ms === undefined || ms <= 0 ? null : rfc3339(ms);
}

function volumeMountStatuses(container: Container): Record<string, unknown>[] | undefined {
  if (!container.volumeMounts || container.volumeMounts.length === 0) return undefined;
  return container.volumeMounts.map((m) => ({
    name: m.name,
    mountPath: m.mountPath,
    ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
  }));
}

function fromRuntime(rc: RuntimeContainer, old: ContainerStatus | undefined, containerID: string): ContainerStatus {
  const status: ContainerStatus = {
    name: rc.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: restartCountOf(rc),
    image: rc.image,
    imageID: rc.imageRef,
    containerID,
  };
  if (old?.volumeMounts !== undefined) status.volumeMounts = old.volumeMounts;
  switch (rc.state) {
    case 'RUNNING':
      status.state = { running: { startedAt: time(rc.startedAt) ?? undefined } };
      break;
    case 'CREATED':
      status.state = { waiting: {} };
      break;
    case 'EXITED':
      status.state = {
        terminated: {
          exitCode: rc.exitCode ?? 0,
          ...(rc.reason ? { reason: rc.reason } : {}),
          ...(rc.message ? { message: rc.message } : {}),
          startedAt: time(rc.startedAt),
          finishedAt: time(rc.finishedAt),
          containerID,
        },
      };
      break;
    default:
      if (old?.state?.running) {
        status.state = { terminated: { exitCode: 137, reason: UNKNOWN_STATUS_REASON, message: LOST_ON_TERMINATION_MESSAGE, startedAt: null, finishedAt: null } };
        status.restartCount = old.restartCount + 1;
      } else status.state = { waiting: {} };
  }
  return status;
}

export interface ConvertInput {
  pod: Pod;
  containers: readonly Container[];
  /** Newest first. */
  runtimeContainers: readonly RuntimeContainer[];
  previous: readonly ContainerStatus[] | undefined;
  startFailures: ReadonlyMap<string, StartFailure>;
  isInit: boolean;
  runtimeName: string;
}

function isDefaultWaiting(state: ContainerState | undefined, defaultReason: string): boolean {
  return state?.waiting?.reason === defaultReason;
}

/** Statuses in spec order; the caller sorts regular containers by name. */
export function convertContainerStatuses(input: ConvertInput): ContainerStatus[] {
  const { pod, containers, runtimeContainers, startFailures, isInit, runtimeName } = input;
  const defaultReason = (pod.spec.initContainers?.length ?? 0) > 0 ? 'PodInitializing' : 'ContainerCreating';
  const previous = new Map<string, ContainerStatus>();
  for (const s of input.previous ?? []) previous.set(s.name, s);

  const statuses = new Map<string, ContainerStatus>();
  for (const c of containers) {
    const old = previous.get(c.name);
    if (old?.state?.terminated) {
      statuses.set(c.name, { ...old });
      continue;
    }
    const status: ContainerStatus = {
      name: c.name,
      state: { waiting: { reason: defaultReason } },
      lastState: old?.lastState ?? {},
      ready: false,
      restartCount: old?.restartCount ?? 0,
      image: c.image ?? '',
      imageID: '',
    };
    const mounts = volumeMountStatuses(c);
    if (mounts) status.volumeMounts = mounts;
    statuses.set(c.name, status);
  }

  const present = new Set<string>();
  for (const rc of runtimeContainers) present.add(rc.name);
  for (const c of containers) {
    if (present.has(c.name)) continue;
    const old = previous.get(c.name);
    if (!old || old.state?.terminated || !old.state?.running) continue;
    const status = statuses.get(c.name)!;
    if (!isDefaultWaiting(status.state, defaultReason) || status.lastState?.terminated) continue;
    status.lastState = { terminated: { exitCode: 137, reason: UNKNOWN_STATUS_REASON, message: LOST_WHILE_RUNNING_MESSAGE, startedAt: null, finishedAt: null } };
    if (!pod.metadata.deletionTimestamp) status.restartCount += 1;
  }

  const seen = new Map<string, number>();
  for (const rc of runtimeContainers) {
    if (!statuses.has(rc.name)) continue;
    const count = seen.get(rc.name) ?? 0;
    if (count >= 2) continue;
    const converted = fromRuntime(rc, previous.get(rc.name), `${runtimeName}://${rc.id}`);
    if (count === 0) statuses.set(rc.name, converted);
    else statuses.get(rc.name)!.lastState = converted.state;
    seen.set(rc.name, count + 1);
  }

  for (const c of containers) {
    if (isInit) {
      const newest = newestInstance(runtimeContainers, c.name);
      if (newest && newest.state === 'EXITED' && newest.exitCode === 0) continue;
    }
    if (!shouldContainerBeRestarted(c, pod, runtimeContainers)) continue;
    const failure = startFailures.get(c.name);
    if (!failure) continue;
    const status = statuses.get(c.name)!;
    if (status.state?.terminated) status.lastState = status.state;
    status.state = { waiting: { reason: failure.reason, message: failure.message } };
  }

  return containers.map((c) => statuses.get(c.name)!);
}

export function byName(a: ContainerStatus, b: ContainerStatus): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
