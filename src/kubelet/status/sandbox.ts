// Whether a pod's sandbox must be (re)created: the kubelet's PodSandboxChanged test. It also decides
// the PodReadyToStartContainers condition.

import type { Pod } from '../../api/types.js';
import type { PodSandboxStatus } from '../../runtime/types.js';

/** `sandboxes` newest first. */
export function podSandboxChanged(pod: Pod, sandboxes: readonly PodSandboxStatus[]): boolean {
  const newest = sandboxes[0];
  if (!newest) return true;
  let ready = 0;
  for (const s of sandboxes) if (s.state === 'READY') ready++;
  if (ready > 1 || newest.state !== 'READY') return true;
  const hostNetwork = pod.spec.hostNetwork === true;
  if (newest.hostNetwork !== hostNetwork) return true;
  return !hostNetwork && !newest.ip;
}
