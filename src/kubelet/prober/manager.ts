import type { Pod, PodStatus } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import type { EventRecorder } from '../types.js';
import type { ProbeNetwork } from '../network.js';
import type { ProbeStatusProvider } from '../status/generate.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure';

export interface ProbeManagerOptions {
  runtime: Runtime;
  clock: Clock;
  recorder: EventRecorder;
  network: ProbeNetwork;
  /** Latest known pod IP (status manager's) for probes without host. */
  podIP(podUid: string): string | undefined;
  /** A probe result changed (readiness flip, liveness/startup failure): the owner re-syncs the pod. */
  onResultChange(podUid: string, kind: ProbeKind, containerName: string): void;
}

// Signatures published first; the implementation follows in the next commit.
export class ProbeManager implements ProbeStatusProvider {
  constructor(readonly opts: ProbeManagerOptions) {}
  addPod(_pod: Pod): void {}
  removePod(_pod: Pod): void {}
  podTerminating(_pod: Pod): void {}
  updatePodStatus(_pod: Pod, _status: PodStatus): void {}
  result(_containerId: string, _kind: ProbeKind): ProbeResult | undefined {
    return undefined;
  }
  stop(): void {}
}
