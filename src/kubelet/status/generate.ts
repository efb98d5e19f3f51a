// The API status of a pod from the runtime's view of it (the kubelet's generateAPIPodStatus).

import { isIPv4, isIPv6 } from 'node:net';
import type { ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';
import type { PodRuntimeSnapshot } from '../types.js';
import {
  containersReadyCondition,
  findCondition,
  initializedCondition,
  KUBELET_OWNED_CONDITIONS,
  readyCondition,
  readyToStartContainersCondition,
} from './conditions.js';
import { byName, convertContainerStatuses, newestFirst, type StartFailure } from './container-statuses.js';
import { getPhase } from './phase.js';
import { isTerminalPhase } from './pod-spec.js';

export type { StartFailure } from './container-statuses.js';
export { getPhase } from './phase.js';

/** Fills `started` and `ready` of container statuses from probe results. */
export interface ProbeStatusProvider {
  updatePodStatus(pod: Pod, status: PodStatus): void;
}

export interface GeneratePodStatusInput {
  pod: Pod;
  snapshot: PodRuntimeSnapshot;
  /** The status manager's cached status, else the API's pod.status. */
  previous: PodStatus | undefined;
  /** By container name: why its last start failed, shown while it will be restarted. */
  startFailures: ReadonlyMap<string, StartFailure>;
  probes: ProbeStatusProvider;
  /** Node IPs; hostNetwork pods use them as pod IPs. */
  hostIPs: string[];
  /** The worker decided the pod is done (all containers stopped for good). */
  podIsTerminal: boolean;
  now: number;
  /** Prefix of container IDs (`<runtimeName>://<id>`); default `k8ts`. */
  runtimeName?: string;
  /** A node-level decision to fail the pod (e.g. active deadline exceeded). */
  eviction?: { reason: string; message: string };
}

/** At most one address per family, the node's family first. */
export function sortPodIPs(ips: readonly string[], hostIPs: readonly string[]): string[] {
  const primaryIsV6 = hostIPs[0] !== undefined && isIPv6(hostIPs[0]);
  const primary = ips.find((ip) => (primaryIsV6 ? isIPv6(ip) : isIPv4(ip)));
  const secondary = ips.find((ip) => (primaryIsV6 ? isIPv4(ip) : isIPv6(ip)));
  return [primary, secondary].filter((ip): ip is string => ip !== undefined);
}

function sandboxIPs(input: GeneratePodStatusInput): string[] {
  const newest = input.snapshot.sandboxes[0];
  if (!newest || newest.state !== 'READY') return [];
  // A runtime that gave the pod no network of its own (no root, or no pod network) runs it on the node's.
  if (newest.hostNetwork) return input.hostIPs.slice(0, 2);
  if (!newest.ip) return [];
  return sortPodIPs([newest.ip, ...newest.additionalIps], input.hostIPs);
}

function settlePhase(computed: PodPhase, cached: PodStatus, api: PodStatus): PodPhase {
  if (isTerminalPhase(computed)) return computed;
  if (isTerminalPhase(cached.phase)) return cached.phase;
  if (isTerminalPhase(api.phase)) return api.phase;
  return computed;
}

function kubeletConditions(pod: Pod, cached: PodStatus, api: PodStatus, status: PodStatus, phase: PodPhase, input: GeneratePodStatusInput): PodCondition[] {
  const conditions: PodCondition[] = [];
  for (const c of api.conditions ?? []) if (!KUBELET_OWNED_CONDITIONS.has(c.type)) conditions.push(c);
  const disruption = findCondition(cached.conditions, 'DisruptionTarget');
  if (disruption) {
    const at = conditions.findIndex((c) => c.type === 'DisruptionTarget');
    if (at >= 0) conditions[at] = disruption;
    else conditions.push(disruption);
  }
  const all: ContainerStatus[] = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  conditions.push(readyToStartContainersCondition(pod, input.snapshot.sandboxes));
  conditions.push(initializedCondition(pod, all, phase));
  conditions.push(readyCondition(pod, conditions, all, phase));
  conditions.push(containersReadyCondition(pod, all, phase));
  conditions.push({ type: 'PodScheduled', status: 'True' });
  return conditions;
}

export function generatePodStatus(input: GeneratePodStatusInput): PodStatus {
  const { pod } = input;
  const api = pod.status ?? {};
  const cached = input.previous ?? api;
  const runtimeName = input.runtimeName ?? 'k8ts';
  const runtimeContainers = newestFirst(input.snapshot.containers);
  const convert = (containers: Pod['spec']['containers'], previous: ContainerStatus[] | undefined, isInit: boolean) =>
    convertContainerStatuses({ pod, containers, runtimeContainers, previous, startFailures: input.startFailures, isInit, runtimeName });

  const status: PodStatus = {};
  const podIPs = pod.spec.hostNetwork ? input.hostIPs.slice(0, 2) : sandboxIPs(input);
  if (podIPs.length > 0) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  if (api.qosClass ?? cached.qosClass) status.qosClass = api.qosClass ?? cached.qosClass;
  status.containerStatuses = convert(pod.spec.containers, cached.containerStatuses, false).sort(byName);
  const inits = pod.spec.initContainers ?? [];
  if (inits.length > 0) status.initContainerStatuses = convert(inits, cached.initContainerStatuses, true);
  const ephemeral = pod.spec.ephemeralContainers ?? [];
  if (ephemeral.length > 0) status.ephemeralContainerStatuses = convert(ephemeral, cached.ephemeralContainerStatuses, false).sort(byName);

  let phase = settlePhase(getPhase(pod, status.initContainerStatuses ?? [], status.containerStatuses, input.podIsTerminal), cached, api);
  if (phase === cached.phase) {
    const reason = cached.reason || api.reason;
    const message = cached.message || api.message;
    if (reason) status.reason = reason;
    if (message) status.message = message;
  }
  if (input.eviction) {
    phase = 'Failed';
    status.reason = input.eviction.reason;
    status.message = input.eviction.message;
  }
  if (isTerminalPhase(api.phase)) phase = api.phase;
  status.phase = phase;

  input.probes.updatePodStatus(pod, status);
  status.conditions = kubeletConditions(pod, cached, api, status, phase, input);

  if (input.hostIPs.length > 0) {
    status.hostIP = input.hostIPs[0];
    status.hostIPs = input.hostIPs.slice(0, 2).map((ip) => ({ ip }));
  }
  status.startTime = cached.startTime ?? api.startTime ?? rfc3339(input.now);
  return status;
}
