// Helpers of the batch and lifecycle controller tests: a cluster on a fake clock with the
// controllers running, and a stand-in kubelet that reports pod status the way the node agent does.

import type { KubeObject, Pod, ContainerStatus } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { FakeClock, rfc3339 } from '../../src/util/clock.js';
import { testCluster, eventually, type TestCluster } from '../helpers/cluster.js';
import type { ClusterOptions } from '../../src/cluster.js';

export const PODS = ApiClient.resourceOf('v1', 'Pod');
export const JOBS = ApiClient.resourceOf('batch/v1', 'Job');
export const CRONJOBS = ApiClient.resourceOf('batch/v1', 'CronJob');
export const EVENTS = ApiClient.resourceOf('v1', 'Event');
export const NODES = ApiClient.resourceOf('v1', 'Node');

export interface ControllerCluster extends TestCluster {
  clock: FakeClock;
}

type T = { after(fn: () => unknown): unknown };

/** A cluster on a fake clock; startCluster runs the batch and lifecycle controllers on it. */
export async function controllerCluster(t: T, options: ClusterOptions = {}, extra: { startAt?: number } = {}): Promise<ControllerCluster> {
  const clock = new FakeClock(extra.startAt);
  const cluster = await testCluster(t, { store: 'memory', clock, ...options });
  return Object.assign(cluster, { clock });
}

export async function podsOf(client: ApiClient, namespace: string, selector: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, namespace, { labelSelector: selector });
  return list.items.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
}

/** Waits until `n` pods match and are not being deleted. */
export function waitForPods(client: ApiClient, namespace: string, selector: string, n: number, filter: (p: Pod) => boolean = (p) => !p.metadata.deletionTimestamp && !isTerminal(p)): Promise<Pod[]> {
  return eventually(async () => {
    const pods = (await podsOf(client, namespace, selector)).filter(filter);
    return pods.length === n ? pods : undefined;
  }, 20_000, 25);
}

export function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** Reports the pod as the kubelet does when all its containers ended with `exitCode`. */
export async function finishPod(client: ApiClient, clock: FakeClock, pod: Pod, exitCode: number, extra: { conditions?: Pod['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never } = {}): Promise<Pod> {
  const now = rfc3339(clock.now());
  const statuses: ContainerStatus[] = pod.spec.containers.map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } },
  }));
  return client.patch<Pod>(
    PODS,
    pod.metadata.namespace!,
    pod.metadata.name!,
    {
      status: {
        phase: exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now, reason: 'PodCompleted' }, ...(extra.conditions ?? [])],
        containerStatuses: statuses,
      },
    },
    'merge',
    'status',
  );
}

/** Reports the pod Running (and Ready), with restart counts. */
export async function runPod(client: ApiClient, clock: FakeClock, pod: Pod, opts: { ready?: boolean; restartCount?: number } = {}): Promise<Pod> {
  const now = rfc3339(clock.now());
  return client.patch<Pod>(
    PODS,
    pod.metadata.namespace!,
    pod.metadata.name!,
    {
      status: {
        phase: 'Running',
        startTime: now,
        conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: now }],
        containerStatuses: pod.spec.containers.map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: opts.ready !== false, restartCount: opts.restartCount ?? 0, started: true, state: { running: { startedAt: now } } })),
      },
    },
    'merge',
    'status',
  );
}

export async function getJob(client: ApiClient, namespace: string, name: string): Promise<KubeObject & { status?: Record<string, any>; spec: Record<string, any> }> {
  return client.get(JOBS, namespace, name);
}

export async function eventsFor(client: ApiClient, namespace: string, name: string): Promise<{ reason?: string; message?: string; type?: string; source?: { component?: string } }[]> {
  const list = await client.list(EVENTS, namespace);
  return (list.items as any[]).filter((e) => e.involvedObject?.name === name);
}

export function jobManifest(name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }], ...podSpec } },
      ...spec,
    },
  };
}

export { eventually };
