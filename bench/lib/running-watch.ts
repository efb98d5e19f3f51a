// Time to Running as a user sees it: a watch on the pods bound to a node that resolves
// `running(name)` once a pod first shows as running, and records when (performance.now()).

import type { Cluster } from '../../src/cluster.js';
import type { Pod } from '../../src/api/types.js';

export interface RunningWatch {
  /** When each pod was first seen running. */
  seen: Map<string, number>;
  running(name: string): Promise<void>;
  stop(): void;
}

export function runningWatch(cluster: Cluster, nodeName: string, isRunning: (p: Pod) => boolean): RunningWatch {
  const seen = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const stream = cluster.client.watch<Pod>('/api/v1/namespaces/default/pods', { fieldSelector: `spec.nodeName=${nodeName}` }, ({ type, object }) => {
    const name = object.metadata.name!;
    if (type === 'DELETED' || seen.has(name) || !isRunning(object)) return;
    seen.set(name, performance.now());
    waiters.get(name)?.();
    waiters.delete(name);
  });
  stream.done.catch(() => {});
  return {
    seen,
    running: (name) => (seen.has(name) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(name, resolve))),
    stop: () => stream.stop(),
  };
}
