// Clusters and objects for the API benchmarks: an in-process control plane ready for pods, the
// objects the benchmarks write, and bulk loading through the API.

import { startCluster, type Cluster, type ClusterOptions } from '../../src/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject } from '../../src/api/types.js';
import { randomUUID } from 'node:crypto';
import { objectKey } from '../../src/apiserver/storage-keys.js';
import { pool } from './stats.js';

export const CONFIGMAPS = ApiClient.resourceOf('v1', 'ConfigMap');
export const PODS = ApiClient.resourceOf('v1', 'Pod');

/**
 * Stored pods are bound to a Node that no agent runs, so neither the scheduler nor a kubelet touches
 * them (and, the Node existing, the pod garbage collector does not delete them as orphans).
 */
export const PARKED_NODE = 'bench-node';

/** A ConfigMap of about 1 KiB. */
export function configMap(name: string, generation = 0): KubeObject {
  return { metadata: { name, labels: { app: 'bench' } }, data: { generation: String(generation), pad: 'x'.repeat(1000) } } as KubeObject;
}

/** A pod shaped like a small Deployment's: one container, requests, a label, bound to PARKED_NODE. */
export function pod(name: string, nodeName = PARKED_NODE): KubeObject {
  return {
    metadata: { name, labels: { app: 'bench', 'pod-template-hash': '5d4f8c7b9' } },
    spec: {
      nodeName,
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          ports: [{ containerPort: 8080, name: 'http' }],
          env: [{ name: 'MODE', value: 'bench' }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '32Mi' } },
        },
      ],
    },
  } as KubeObject;
}

/** A control plane with the default namespace's service account (pods need it) and PARKED_NODE in place. */
export async function readyCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const cluster = await startCluster(options);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await cluster.client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      await cluster.client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: PARKED_NODE } } });
      return cluster;
    } catch (err) {
      if (Date.now() > deadline) {
        await cluster.stop();
        throw err;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Creates `count` objects named `<prefix>-<i>` through the API, 32 at a time. */
export async function fill(client: ApiClient, kind: 'configmaps' | 'pods', prefix: string, count: number, from = 0): Promise<void> {
  const info = kind === 'pods' ? PODS : CONFIGMAPS;
  const make = kind === 'pods' ? pod : configMap;
  await pool(count, 32, (i) => client.create(info, 'default', make(`${prefix}-${from + i}`)));
}

/**
 * Stores `count` objects named `<prefix>-<i>` quickly: one is created through the API, and copies
 * of its stored form (own name and uid) are written straight to the store, which feeds the watch
 * cache as any write does. Resolves once the API serves them.
 */
export async function preload(cluster: Cluster, kind: 'configmaps' | 'pods', prefix: string, count: number): Promise<void> {
  const info = kind === 'pods' ? PODS : CONFIGMAPS;
  const template = await cluster.client.create(info, 'default', (kind === 'pods' ? pod : configMap)(`${prefix}-0`));
  delete template.metadata.resourceVersion;
  const batch = 500;
  for (let start = 1; start < count; start += batch) {
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const name = `${prefix}-${i}`;
      const copy = { ...template, metadata: { ...template.metadata, name, uid: randomUUID() } };
      writes.push(cluster.store.create(objectKey(info, 'default', name), JSON.stringify(copy)));
    }
    await Promise.all(writes);
  }
  await cluster.client.list(info, 'default', { limit: 1 });
}

/** The name of the cluster's own node, once its agent has registered it. */
export async function registeredNode(cluster: Cluster, timeoutMs = 30_000): Promise<string> {
  const nodeName = cluster.nodeName!;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await cluster.client.request('GET', `/api/v1/nodes/${nodeName}`);
      return nodeName;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the node did not register');
}

/** Deletes the named pods of the default namespace and waits (up to 2 min) until none with the label is left. */
export async function deletePods(cluster: Cluster, names: string[], labelSelector: string, concurrency = 16): Promise<void> {
  await pool(names.length, concurrency, (i) => cluster.client.delete(PODS, 'default', names[i]!).catch(() => {}));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const list = await cluster.client.list(PODS, 'default', { labelSelector });
    if (list.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
