// The process runtime without root: containers are plain host processes. No network, UTS, IPC, PID
// or mount namespace, no private root filesystem, no cgroups; a pod shares the node's network and
// address. What a container asks for that only isolation can give is refused with a message that
// says why, except the files the kubelet adds to every container, which are left out (the pod's
// warning event says so).

import type { ContainerConfig } from '../types.js';

export const UNISOLATED_WARNING = {
  reason: 'PodNotIsolated',
  message:
    'The node agent runs without root: the containers of this pod are plain host processes with no network, PID or mount namespaces, ' +
    'no private root filesystem and no resource limits; the pod uses the node\'s network and IP, sees the host\'s /etc/hosts and /etc/resolv.conf, ' +
    'and has no service account token at /var/run/secrets/kubernetes.io/serviceaccount',
};

const TERMINATION_MESSAGE_PATH_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
const KUBELET_MANAGED_PATHS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/var/run/secrets/kubernetes.io/serviceaccount'];

/** Why the container cannot run as a plain host process, or undefined when it can. */
export function unisolatedRefusal(config: ContainerConfig, uid: number, gid: number): string | undefined {
  const managed = new Set([...KUBELET_MANAGED_PATHS, config.annotations[TERMINATION_MESSAGE_PATH_ANNOTATION] ?? '/dev/termination-log']);
  const volumes = config.mounts.filter((m) => !managed.has(m.containerPath)).map((m) => m.containerPath);
  if (volumes.length > 0) {
    const paths = volumes.map((p) => `"${p}"`).join(', ');
    return `volume mounts need a mount namespace, and this node runs without root: cannot mount ${paths} for container "${config.name}"; run the node as root, or remove the volume mounts`;
  }
  if ((config.runAsUser !== undefined && config.runAsUser !== uid) || (config.runAsGroup !== undefined && config.runAsGroup !== gid)) {
    return `this node runs without root as uid ${uid}, gid ${gid}: container "${config.name}" cannot run as uid ${config.runAsUser ?? uid}, gid ${config.runAsGroup ?? gid}`;
  }
  return undefined;
}
