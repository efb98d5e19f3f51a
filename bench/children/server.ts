// A control plane holding `pods` pods, in a process of its own, that reports its memory and the CPU
// it spends idle. Run by memory.bench.ts: node --expose-gc server.js <sqlite|memory> <pods> <idle ms>

import { preload, readyCluster } from '../lib/cluster.js';
import { settle } from '../lib/stats.js';

const [store, pods, idleMs] = [process.argv[2] as 'sqlite' | 'memory', Number(process.argv[3]), Number(process.argv[4])];
const gc = (globalThis as { gc?: () => void }).gc;

const cluster = await readyCluster({ store });
if (pods > 0) await preload(cluster, 'pods', 'stored', pods);
await settle(1000);
gc?.();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
await settle(idleMs);
const cpu = process.cpuUsage(cpuBefore);
const idleCpuMs = (cpu.user + cpu.system) / 1000;
const idleWallMs = performance.now() - wallBefore;
gc?.();
gc?.();
process.send!({ memory: process.memoryUsage(), idleCpuMs, idleWallMs, gc: Boolean(gc) });
process.once('message', async () => {
  await cluster.stop();
  process.exit(0);
});
