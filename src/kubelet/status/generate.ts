import type { Pod, PodPhase, PodStatus, ContainerStatus } from '../../api/types.js';
import type { PodRuntimeSnapshot } from '../types.js';

/** Why the last start of a container failed; shown as its waiting state while it will restart. */
export interface StartFailure {
  reason: string;
  message: string;
}

/** Fills `started` and `ready` of container statuses from probe results. */
export interface ProbeStatusProvider {
  updatePodStatus(pod: Pod, status: PodStatus): void;
}

export interface GeneratePodStatusInput {
  pod: Pod;
  snapshot: PodRuntimeSnapshot;
  previous: PodStatus | undefined;
  startFailures: ReadonlyMap<string, StartFailure>;
  probes: ProbeStatusProvider;
  hostIPs: string[];
  podIsTerminal: boolean;
  now: number;
  /** Prefix of container IDs (`<runtimeName>://<id>`); default `k8ts`. */
  runtimeName?: string;
}

// Signatures published first; the implementation follows in the next commit.
export function generatePodStatus(_input: GeneratePodStatusInput): PodStatus {
  throw new Error('generatePodStatus: implementation pending');
}

export function getPhase(_pod: Pod, _initStatuses: ContainerStatus[], _statuses: ContainerStatus[], _podIsTerminal: boolean): PodPhase {
  throw new Error('getPhase: implementation pending');
}
