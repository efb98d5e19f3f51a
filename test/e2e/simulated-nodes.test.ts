// Simulated nodes run the real node agent on the fake runtime: a DaemonSet gets one pod on each
// node, a node that joins later gets its own, and a Deployment's pods run across the nodes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { startSimulatedNodes } from '../../src/agent/simulated-nodes.js';
import { issueCertificate } from '../../src/apiserver/pki.js';
import { realClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { Pod } from '../../src/api/types.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const DAEMONSETS = ApiClient.resourceOf('apps/v1', 'DaemonSet');
const DEPLOYMENTS = ApiClient.resourceOf('apps/v1', 'Deployment');

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], readinessProbe: { httpGet: { path: '/', port: 80 } } }] },
});

async function runningPods(client: ApiClient, app: string): Promise<Pod[]> {
  const list = await client.list<Pod>(PODS, 'default', { labelSelector: `app=${app}` });
  return list.items.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

test('simulated nodes: a DaemonSet per node, a late node, a Deployment across nodes', async (t) => {
  const cluster = await testCluster(t, { store: 'memory', simulatedNodes: 3 });
  const client = cluster.client;

  await client.create(DAEMONSETS, 'default', { metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') } });
  const daemons = await eventually(async () => {
    const pods = await runningPods(client, 'agent');
    return pods.length === 3 ? pods : undefined;
  }, 60_000);
  assert.deepEqual(daemons.map((p) => p.spec.nodeName).sort(), ['sim-0', 'sim-1', 'sim-2']);

  const serving = await issueCertificate(cluster.pki.ca, { commonName: 'system:node:late', hosts: ['localhost'], usage: 'server' });
  const late = await startSimulatedNodes({ client, count: 1, clock: realClock, rootDir: `${cluster.dataDir}/late`, tls: { ca: cluster.pki.ca.certPem, serving }, namePrefix: 'late', log: silentLogger });
  t.after(() => late.stop());
  await eventually(async () => (await runningPods(client, 'agent')).some((p) => p.spec.nodeName === 'late-0'), 60_000);
  assert.equal((await runningPods(client, 'agent')).length, 4);

  await client.create(DEPLOYMENTS, 'default', { metadata: { name: 'web' }, spec: { replicas: 8, selector: { matchLabels: { app: 'web' } }, template: template('web') } });
  const web = await eventually(async () => {
    const pods = await runningPods(client, 'web');
    return pods.length === 8 ? pods : undefined;
  }, 60_000);
  const nodes = new Set(web.map((p) => p.spec.nodeName));
  assert.ok(nodes.size >= 3, `spread over ${[...nodes].join(', ')}`);
});
