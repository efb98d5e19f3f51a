// CPU of the API's write path, per request, in one process holding the cluster (memory store): pod
// creates (bound to a node no agent runs, so nothing but the informers reacts) and strategic merge
// patches of their status, 32 in flight, after a warm-up of each. The whole process's CPU is
// counted (server, client, watch deliveries). `node dist/bench/lib/write-path.js [--n=3000]`; run
// two checkouts one after the other to compare them.

import { readyCluster, PARKED_NODE, PODS } from './cluster.js';
import { pool } from './stats.js';

const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 3000);
const WARM_UP = 300;
const IN_FLIGHT = 32;

const cluster = await readyCluster({ store: 'memory' });
try {
  const client = cluster.client;
  let created = 0;
  let patched = 0;
  const create = () =>
    client.create(PODS, 'default', {
      metadata: { name: `write-path-${created++}`, labels: { app: 'write-path' } },
      spec: { nodeName: PARKED_NODE, containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] },
    });
  const patch = () => {
    const i = patched++;
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: i % 2 ? 'True' : 'False' }] };
    return client.patch(PODS, 'default', `write-path-${i % created}`, { status }, 'strategic', 'status');
  };
  const cpuPer = async (fn: () => Promise<unknown>): Promise<number> => {
    const before = process.cpuUsage();
    await pool(N, IN_FLIGHT, fn);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / N;
  };
  await pool(WARM_UP, IN_FLIGHT, create);
  await pool(WARM_UP, IN_FLIGHT, patch);
  const perCreate = await cpuPer(create);
  const perPatch = await cpuPer(patch);
  console.log(`| pod create | ${perCreate.toFixed(0)} µs |\n| status patch (strategic) | ${perPatch.toFixed(0)} µs |`);
} finally {
  await cluster.stop();
}
