// A standalone node agent on the process runtime (as `k8ts agent` runs it), in a process of its own so
// that its CPU time and memory are its own. Run by density.bench.ts over IPC with
// `{ kubeconfig, nodeName, podCIDR, dataDir }`: it sends `ready`, answers `sample` with its memory
// after GC, `profile-start` and `profile-stop` (answered with the V8 CPU profile between them),
// `{ heapSnapshot: path }` (answered with `snapshot` once written), `alloc-start` and `alloc-stop`
// (answered with V8's sampling heap profile between them, collected objects included), and stops on `stop`.

import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { startStandaloneAgent } from '../../src/agent/standalone.js';
import { silentLogger } from '../../src/util/log.js';

export interface ProcessAgentConfig {
  kubeconfig: string;
  nodeName: string;
  podCIDR: string;
  dataDir: string;
}

export interface ProcessAgentSample {
  memory: NodeJS.MemoryUsage;
  /** V8's heap spaces: name, committed and used bytes. */
  spaces: [string, number, number][];
}

const gc = (globalThis as { gc?: () => void }).gc;
const config = await new Promise<ProcessAgentConfig>((resolve) => process.once('message', (m) => resolve(m as ProcessAgentConfig)));
const agent = await startStandaloneAgent({
  connection: { kubeconfig: config.kubeconfig },
  nodeName: config.nodeName,
  dataDir: config.dataDir,
  address: '127.0.0.1',
  port: 0,
  podCIDR: config.podCIDR,
  runtime: 'process',
  log: silentLogger,
});
process.send!('ready');

let profiler: Session | undefined;

process.on('message', async (message) => {
  if (message === 'profile-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    process.send!('profiling');
  } else if (message === 'profile-stop' && profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    process.send!({ profile });
  } else if (message === 'alloc-start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('HeapProfiler.enable');
    await profiler.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
    process.send!('sampling');
  } else if (message === 'alloc-stop' && profiler) {
    const { profile } = await profiler.post('HeapProfiler.stopSampling');
    profiler.disconnect();
    profiler = undefined;
    process.send!({ profile });
  } else if (typeof message === 'object' && message && 'heapSnapshot' in message) {
    gc?.();
    writeHeapSnapshot((message as { heapSnapshot: string }).heapSnapshot);
    process.send!('snapshot');
  } else if (message === 'sample') {
    gc?.();
    gc?.();
    const spaces = getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size, s.space_used_size] as [string, number, number]);
    process.send!({ memory: process.memoryUsage(), spaces } satisfies ProcessAgentSample);
  } else if (message === 'stop') {
    await agent.stop();
    process.send!('stopped');
    process.exit(0);
  }
});
