// A control plane holding `pods` pods, in a process of its own, that reports its memory and the CPU
// it spends idle, once the burst of writes that loaded the pods has been digested. Run by memory.bench.ts: node --expose-gc server.js <sqlite|memory> <pods> <idle ms>

import { preload, readyCluster } from '../lib/cluster.js';
import { settle } from '../lib/stats.js';

const [store, pods, idleMs] = [process.argv[2] as 'sqlite' | 'memory', Number(process.argv[3]), Number(process.argv[4])];
const gc = (globalThis as { gc?: () => void }).gc;

/** Waits until two 500 ms windows in a row cost under 5% of a core (the informers caught up); the time it took. */
async function quiet(limitMs = 60_000): Promise<number> {
  const start = performance.now();
  let calm = 0;
  while (calm < 2 && performance.now() - start < limitMs) {
    const before = process.cpuUsage();
    await settle(500);
    const used = process.cpuUsage(before);
    calm = (used.user + used.system) / 1000 < 25 ? calm + 1 : 0;
  }
  return performance.now() - start;
}

const cluster = await readyCluster({ store });
if (pods > 0) await preload(cluster, 'pods', 'stored', pods);
const quietAfterMs = await quiet();
gc?.();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
await settle(idleMs);
const cpu = process.cpuUsage(cpuBefore);
const idleCpuMs = (cpu.user + cpu.system) / 1000;
const idleWallMs = performance.now() - wallBefore;
gc?.();
gc?.();
process.send!({ memory: process.memoryUsage(), idleCpuMs, idleWallMs, quietAfterMs, gc: Boolean(gc) });
process.once('message', async () => {
  await cluster.stop();
  process.exit(0);
});
