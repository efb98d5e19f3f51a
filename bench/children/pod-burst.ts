// A burst of pods onto one simulated node (fake runtime) in this one process, for profiling the
// whole path from create to Running: `node dist/bench/children/pod-burst.js [--pods=500]
// [--in-flight=32] [--profile=<file.cpuprofile>] [--runtime=process]`, then `node
// dist/bench/lib/cpu-profile.js <file>`. `--runtime=process` puts the pods on a node agent with the
// process runtime instead (real processes and pod network: root only), and counts the processes
// this process starts.
// The profile covers the burst only (from the first create to the last pod Running), not the
// cluster's start and stop. Prints the time to Running, the CPU of the process per pod, and the API
// requests and pod syncs per pod (counted in this process's clients and pod sync handler).

import childProcess from 'node:child_process';
import { promises as fsPromises, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { PodSyncHandler } from '../../src/kubelet/pod-sync.js';
import { PODS, readyCluster } from '../lib/cluster.js';
import { runningWatch } from '../lib/running-watch.js';
import { ms, num, perSec, pool, settle, table } from '../lib/stats.js';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const PODS_N = arg('pods', 500);
const IN_FLIGHT = arg('in-flight', 32);
const PROFILE = process.argv.find((a) => a.startsWith('--profile='))?.slice('--profile='.length);
const PROCESS_RUNTIME = process.argv.includes('--runtime=process');

/** The request's route with names replaced, as `<user agent> <METHOD> /api/v1/namespaces/{ns}/pods/{name}/status`. */
function route(method: string, path: string, userAgent: string): string {
  const parts = path.split('?')[0]!.split('/');
  const out = parts.map((p, i) => {
    const prev = parts[i - 1];
    if (prev === 'namespaces' || (i > 0 && /^(pods|configmaps|secrets|serviceaccounts|events|nodes|leases|endpointslices|endpoints|services)$/.test(prev ?? '') && p !== '')) return '{name}';
    return p;
  });
  return `${userAgent} ${method} ${out.join('/')}`;
}

const requests = new Map<string, number>();
type Open = (this: ApiClient, method: string, path: string, options: { query?: Record<string, unknown> }, agent?: unknown) => Promise<unknown>;
const proto = ApiClient.prototype as unknown as { open: Open };
const open = proto.open;
proto.open = function (method, path, options, agent) {
  const watch = options.query?.watch ? ' (watch)' : '';
  const key = route(method, path, this.config.userAgent ?? 'k8ts') + watch;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  return open.call(this, method, path, options, agent);
};
// File operations through fs/promises (the agent's volumes, hosts files, logs), by function.
const fileOps = new Map<string, number>();
const fsTable = fsPromises as unknown as Record<string, unknown>;
for (const name of ['access', 'appendFile', 'chmod', 'chown', 'copyFile', 'lstat', 'mkdir', 'open', 'readFile', 'readdir', 'readlink', 'rename', 'rm', 'rmdir', 'stat', 'symlink', 'unlink', 'writeFile']) {
  const original = fsTable[name] as (...args: unknown[]) => unknown;
  fsTable[name] = function (this: unknown, ...args: unknown[]) {
    fileOps.set(name, (fileOps.get(name) ?? 0) + 1);
    return original.apply(this, args);
  };
}
// Processes started through child_process (execFile and friends call spawn inside, not through the export).
const spawned = new Map<string, number>();
const cpTable = childProcess as unknown as Record<string, unknown>;
for (const name of ['spawn', 'execFile', 'exec', 'fork']) {
  const original = cpTable[name] as (...args: unknown[]) => unknown;
  cpTable[name] = function (this: unknown, ...args: unknown[]) {
    const file = String(args[0]).split('/').pop()!;
    const mode = Array.isArray(args[1]) && typeof args[1][0] === 'string' && !args[1][0].startsWith('-') ? ` ${args[1][0]}` : '';
    const key = `${name} ${file}${mode}`;
    spawned.set(key, (spawned.get(key) ?? 0) + 1);
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
let syncs = 0;
const syncPod = PodSyncHandler.prototype.syncPod;
PodSyncHandler.prototype.syncPod = function (...args) {
  syncs++;
  return syncPod.apply(this, args);
};

function probed(name: string): KubeObject {
  return {
    metadata: { name, labels: { app: 'pod-burst' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } }],
    },
  } as KubeObject;
}

const podCIDR = `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;
const cluster = await readyCluster(PROCESS_RUNTIME ? { store: 'memory', node: { runtime: 'process', podCIDR } } : { store: 'memory', simulatedNodes: 1 });
const nodeName = PROCESS_RUNTIME ? cluster.nodeName! : 'sim-0';
try {
  const watch = runningWatch(cluster, nodeName, (p: Pod) => p.status?.phase === 'Running');
  await settle(2_000);
  requests.clear();
  fileOps.clear();
  spawned.clear();
  syncs = 0;
  const names = Array.from({ length: PODS_N }, (_, i) => `burst-${i}`);
  const allRunning = Promise.all(names.map((n) => watch.running(n)));
  const session = PROFILE ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const start = performance.now();
  await pool(PODS_N, IN_FLIGHT, (i) => cluster.client.create(PODS, 'default', probed(names[i]!)));
  const createdMs = performance.now() - start;
  await allRunning;
  const runningMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(PROFILE!, JSON.stringify(profile));
    session.disconnect();
  }
  const counts = new Map(requests);
  const syncCount = syncs;
  const ops = new Map(fileOps);
  const processes = new Map(spawned);
  watch.stop();
  table(
    `${PODS_N} pods at once (${IN_FLIGHT} creates in flight) onto ${PROCESS_RUNTIME ? 'a node agent on the process runtime' : 'one simulated node'}, until all Running`,
    ['all created', 'all Running', 'pods/s', 'CPU of the process', 'CPU per pod', 'pod syncs per pod'],
    [[ms(createdMs), ms(runningMs), perSec(PODS_N / (runningMs / 1000)), ms((used.user + used.system) / 1000), ms((used.user + used.system) / 1000 / PODS_N), num(syncCount / PODS_N)]],
  );
  table(
    'API requests per pod from create to all Running (this process\'s clients)',
    ['request', 'count', 'per pod'],
    [...counts].sort((a, b) => b[1] - a[1]).filter(([, c]) => c >= PODS_N / 50).map(([k, c]) => [k, String(c), num(c / PODS_N)]),
  );
  const opCount = [...ops.values()].reduce((a, b) => a + b, 0);
  table(
    'File operations per pod through fs/promises (this process)',
    ['operation', 'count', 'per pod'],
    [...[...ops].sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, String(c), num(c / PODS_N)]), ['all', String(opCount), num(opCount / PODS_N)]],
  );
  const processCount = [...processes.values()].reduce((a, b) => a + b, 0);
  table(
    'Processes started per pod through child_process (this process)',
    ['call', 'count', 'per pod'],
    [...[...processes].sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, String(c), num(c / PODS_N)]), ['all', String(processCount), num(processCount / PODS_N)]],
  );
} finally {
  await cluster.stop();
}
