// Helpers for the workload controller suites: a memory-store cluster (API server, scheduler and
// controllers, no node agent), with the kubelet's part played by hand through the pod status
// subresource.

import type { KubeObject, Pod } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { createLogger } from '../../src/util/log.js';
import { testCluster, eventually, type TestCluster } from '../helpers/cluster.js';

export const PODS = ApiClient.resourceOf('v1', 'Pod');
export const NODES = ApiClient.resourceOf('v1', 'Node');
export const EVENTS = ApiClient.resourceOf('v1', 'Event');
export const REPLICA_SETS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
export const DEPLOYMENTS = ApiClient.resourceOf('apps/v1', 'Deployment');
export const DAEMON_SETS = ApiClient.resourceOf('apps/v1', 'DaemonSet');
export const REVISIONS = ApiClient.resourceOf('apps/v1', 'ControllerRevision');

export { eventually };

/** The cluster runs the workload controllers itself; K8TS_TEST_LOG=1 shows their log. */
export async function workloadCluster(t: { after(fn: () => unknown): unknown }): Promise<TestCluster> {
  return testCluster(t, { store: 'memory', ...(process.env.K8TS_TEST_LOG ? { logger: createLogger('text') } : {}) });
}

export async function pods(client: ApiClient, namespace: string, labelSelector?: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, namespace, { labelSelector });
  return list.items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

export async function activePods(client: ApiClient, namespace: string, labelSelector?: string): Promise<Pod[]> {
  return (await pods(client, namespace, labelSelector)).filter((p) => !p.metadata.deletionTimestamp);
}

/** Plays the kubelet: the pod is Running and Ready (or not) since `since`. */
export async function setReady(client: ApiClient, pod: Pod, ready = true, since = new Date()): Promise<Pod> {
  const stamp = since.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return client.patch<Pod>(
    PODS,
    pod.metadata.namespace!,
    pod.metadata.name!,
    {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: stamp },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: stamp },
        ],
      },
    },
    'merge',
    'status',
  );
}

/** Marks every not yet ready pod matching the selector ready. */
export async function readyAll(client: ApiClient, namespace: string, labelSelector: string): Promise<number> {
  let n = 0;
  for (const p of await activePods(client, namespace, labelSelector)) {
    if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    await setReady(client, p);
    n++;
  }
  return n;
}

/** Plays the kubelet's part of graceful deletion: pods being deleted are removed. */
export async function finishTerminating(client: ApiClient, namespace: string, labelSelector: string): Promise<void> {
  for (const p of await pods(client, namespace, labelSelector)) {
    if (p.metadata.deletionTimestamp) await client.delete(PODS, namespace, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
  }
}

/** Polls `check` until stopped; errors end the watch instead of escaping the test. */
export function watchWhile(t: { after(fn: () => unknown): unknown }, check: () => Promise<void>): { stop(): Promise<void> } {
  let polling = true;
  const done = (async () => {
    while (polling) {
      try {
        await check();
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const stop = async () => {
    polling = false;
    await done;
  };
  t.after(stop);
  return { stop };
}

export async function events(client: ApiClient, namespace: string, name: string): Promise<{ reason?: string; message?: string; type?: string; source?: { component?: string } }[]> {
  const list = await client.list<KubeObject & { reason?: string; message?: string; type?: string; source?: { component?: string } }>(EVENTS, namespace, {
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

export function container(image = 'nginx:1.25') {
  return [{ name: 'app', image }];
}

/** Plays the kubelet in the background: pods matching the selector become ready, and deleted ones finish terminating. */
export function keepReady(client: ApiClient, namespace: string, labelSelector: string, t: { after(fn: () => unknown): unknown }): { stop(): void } {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await readyAll(client, namespace, labelSelector).catch(() => undefined);
      await finishTerminating(client, namespace, labelSelector).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  void loop();
  const stop = () => void (stopped = true);
  t.after(stop);
  return { stop };
}
