// Which container instance `kubectl logs` reads, decided from the pod's status as the kubelet's
// validateContainerLogStatus does, with the errors users see when there is nothing to read.

import type { ContainerStatus, PodStatus } from '../api/types.js';

export class ContainerLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerLogError';
  }
}

/** The runtime id (without the `<runtime>://` prefix) whose log answers the request. */
export function logContainerId(podName: string, status: PodStatus | undefined, containerName: string, previous: boolean): string {
  const all: ContainerStatus[] = [
    ...(status?.containerStatuses ?? []),
    ...(status?.initContainerStatuses ?? []),
    ...(status?.ephemeralContainerStatuses ?? []),
  ];
  const s = all.find((c) => c.name === containerName);
  const where = `container "${containerName}" in pod "${podName}"`;
  if (!s) throw new ContainerLogError(`${where} is not available`);
  const last = s.lastState?.terminated;
  const { running, terminated, waiting } = s.state ?? {};
  let id: string | undefined;
  if (previous) {
    if (!last?.containerID) throw new ContainerLogError(`previous terminated ${where} not found`);
    id = last.containerID;
  } else if (running) {
    id = s.containerID;
  } else if (terminated) {
    id = terminated.containerID || last?.containerID;
    if (!id) throw new ContainerLogError(`${where} is terminated`);
  } else if (last) {
    if (!last.containerID) throw new ContainerLogError(`${where} is terminated`);
    id = last.containerID;
  } else if (waiting) {
    if (waiting.reason === 'ErrImagePull') throw new ContainerLogError(`${where} is waiting to start: image can't be pulled`);
    if (waiting.reason === 'ImagePullBackOff') throw new ContainerLogError(`${where} is waiting to start: trying and failing to pull image`);
    throw new ContainerLogError(`${where} is waiting to start: ${waiting.reason ?? ''}`);
  }
  if (!id) throw new ContainerLogError(`${where} is waiting to start - no logs yet`);
  return id.replace(/^[a-z0-9.-]+:\/\//, '');
}
