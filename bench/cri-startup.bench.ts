// Pod startup on the cri runtime (containerd, as root): per pod, the same three CRI calls made
// directly over gRPC (RunPodSandbox, CreateContainer, StartContainer: the baseline), through the
// CriRuntime layer, and a whole pod through k8ts (create → the watch shows it running) on cri and
// on the process runtime, in the same run. Every path keeps its pods running until its last one
// started, so that each pod starts beside as many others. The k8ts pod's time is split into the
// three calls as the agent made them and the rest, the agent's own path. Then memory per pod with
// 100 pods running on cri: containerd's shims, containerd itself, and the process holding the agent.

import { execFileSync } from 'node:child_process';
import { sandboxConfig as plainSandbox } from '../test/helpers/runtime-configs.js';
import { runningWatch } from './lib/running-watch.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject, Pod } from '../src/api/types.js';
import { buildBusyboxImage, ociArchive } from '../src/images/index.js';
import { containerdLayout, CriClient, CriRuntime, startContainerd } from '../src/runtime/cri/index.js';
import type { PodSandboxConfig } from '../src/runtime/types.js';
import { deletePods, PODS, readyCluster, registeredNode } from './lib/cluster.js';
import { kib, mib, ms, num, pool, ratio, settle, size, summarize, table } from './lib/stats.js';
import { safeRemoveSync } from '../src/util/safe-remove.js';
import { processMemory } from './lib/proc-memory.js';

const LATENCY_PODS = size(30, 5);
const DENSITY_PODS = size(100, 10);
const IMAGE = 'registry.k8ts.local/bench/busybox:1';
const gc = (globalThis as { gc?: () => void }).gc;
const subnet = () => `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;

function imageArchive(dir: string): string {
  const archive = ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]);
  const path = join(dir, 'busybox.oci.tar');
  writeFileSync(path, archive);
  return path;
}

function sandboxConfig(i: number, logRoot: string, cgroupParent?: string): PodSandboxConfig {
  return plainSandbox(`raw-${i}`, join(logRoot, String(i)), { podUid: `bench-${process.pid}-${i}`, namespace: 'bench', ...(cgroupParent ? { cgroupParent } : {}) });
}

/** The three calls as the kubelet makes them, messages built by hand: the floor for any agent. */
async function rawCri(client: CriClient, config: PodSandboxConfig): Promise<{ ms: number; sandbox: string }> {
  const start = performance.now();
  const sandboxConfigMessage = {
    metadata: { name: config.name, uid: config.podUid, namespace: config.namespace, attempt: 0 },
    hostname: config.hostname,
    logDirectory: config.logDirectory,
    linux: { cgroupParent: config.cgroupParent ?? '', securityContext: { namespaceOptions: { network: 0, pid: 1, ipc: 0 } } },
  };
  const { podSandboxId } = await client.runtime('RunPodSandbox', { config: sandboxConfigMessage });
  const { containerId } = await client.runtime('CreateContainer', {
    podSandboxId,
    config: { metadata: { name: 'app', attempt: 0 }, image: { image: IMAGE }, command: ['sleep', '3600'], logPath: 'app/0.log', linux: { securityContext: { namespaceOptions: { network: 0, pid: 1, ipc: 0 } } } },
    sandboxConfig: sandboxConfigMessage,
  });
  await client.runtime('StartContainer', { containerId });
  return { ms: performance.now() - start, sandbox: podSandboxId };
}

async function directLatencies(): Promise<{ raw: number[]; layer: number[] }> {
  const dir = mkdtempSync('/tmp/k8ts-bench-cri-');
  const containerd = await startContainerd({ dir: join(dir, 'containerd'), clusterId: `bench-${process.pid}`, podCIDR: subnet() });
  const runtime = new CriRuntime({ endpoint: containerd.endpoint, stateDir: join(dir, 'runtime'), cgroupRoot: containerd.cgroupRoot });
  try {
    await containerd.importArchive(imageArchive(dir));
    const raw: number[] = [];
    const layer: number[] = [];
    const sandboxes: string[] = [];
    for (let i = 0; i < LATENCY_PODS; i++) {
      // Interleaved, so that both see the same machine; their pods stay running, as the k8ts run's do.
      const config = sandboxConfig(i, join(dir, 'logs'), `${containerd.cgroupRoot}/raw${i}`);
      const r = await rawCri(runtime.client, config);
      raw.push(r.ms);
      sandboxes.push(r.sandbox);
      const viaLayer = sandboxConfig(LATENCY_PODS + i, join(dir, 'logs'));
      const start = performance.now();
      const sb = await runtime.runPodSandbox(viaLayer);
      const id = await runtime.createContainer(sb, {
        name: 'app', attempt: 0, image: IMAGE, command: ['sleep', '3600'], args: [], env: [], mounts: [], logPath: 'app/0.log',
        stdin: false, stdinOnce: false, tty: false, labels: {}, annotations: {},
      }, viaLayer);
      await runtime.startContainer(id);
      layer.push(performance.now() - start);
      sandboxes.push(sb);
    }
    await pool(sandboxes.length, 8, (i) => runtime.removePodSandbox(sandboxes[i]!));
    return { raw, layer };
  } finally {
    await runtime.removeAll();
    await runtime.close();
    await containerd.stop({ clean: true });
    safeRemoveSync(dir, { unmount: true });
  }
}

function sleeper(name: string, nodeName: string, image: string): KubeObject {
  return {
    metadata: { name, labels: { app: 'cri-startup' } },
    spec: {
      nodeName,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  } as KubeObject;
}

const isRunning = (p: Pod) => p.status?.containerStatuses?.[0]?.state?.running !== undefined;


interface Mem {
  shims: { count: number; rss: number; pss: number };
  containerd: number;
  rss: number;
  heapUsed: number;
}

function memory(): Mem {
  const shims = { count: 0, rss: 0, pss: 0 };
  let containerd = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm !== 'containerd' && !comm.startsWith('containerd-shim')) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('/tmp/k8ts-bench-cri-')) continue;
      const { rss, pss } = processMemory(Number(entry));
      if (comm === 'containerd') containerd += rss;
      else {
        shims.count++;
        shims.rss += rss;
        shims.pss += pss;
      }
    } catch {
      // exited meanwhile
    }
  }
  gc?.();
  const m = process.memoryUsage();
  return { shims, containerd, rss: m.rss, heapUsed: m.heapUsed };
}

/** Time spent in the three CRI calls of the agent's runtime, summed since the last `take()`. */
function timeCriCalls(): { take(): number; stop(): void } {
  const proto = CriRuntime.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const names = ['runPodSandbox', 'createContainer', 'startContainer'];
  const originals = names.map((name) => proto[name]!);
  let spent = 0;
  names.forEach((name, i) => {
    const original = originals[i]!;
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      const start = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        spent += performance.now() - start;
      }
    };
  });
  return {
    take: () => {
      const t = spent;
      spent = 0;
      return t;
    },
    stop: () => names.forEach((name, i) => (proto[name] = originals[i]!)),
  };
}

async function clusterLatencies(runtime: 'cri' | 'process', density: boolean): Promise<{ latency: number[]; inCalls: number[]; empty?: Mem; full?: Mem }> {
  const dataDir = mkdtempSync('/tmp/k8ts-bench-cri-');
  const cluster = await readyCluster({ dataDir, store: 'memory', node: { runtime, podCIDR: subnet() } });
  try {
    const nodeName = await registeredNode(cluster, 20_000);
    let image = 'busybox';
    if (runtime === 'cri') {
      const layout = containerdLayout(join(dataDir, 'containerd'));
      execFileSync('ctr', ['--address', layout.socket, '--namespace', 'k8s.io', 'images', 'import', imageArchive(dataDir)]);
      image = IMAGE;
    }
    await settle(1_000);
    const watch = runningWatch(cluster, nodeName, isRunning);
    const calls = timeCriCalls();
    try {
      const latency: number[] = [];
      const inCalls: number[] = [];
      const names: string[] = [];
      for (let i = 0; i < LATENCY_PODS; i++) {
        const name = `startup-${i}`;
        names.push(name);
        calls.take();
        const start = performance.now();
        const running = watch.running(name);
        await cluster.client.create(PODS, 'default', sleeper(name, nodeName, image));
        await running;
        latency.push(performance.now() - start);
        inCalls.push(calls.take());
      }
      calls.stop();
      await deletePods(cluster, names, 'app=cri-startup');
      if (!density) return { latency, inCalls };
      await settle(2_000);
      const empty = memory();
      const many = Array.from({ length: DENSITY_PODS }, (_, i) => `density-${i}`);
      const all = Promise.all(many.map((n) => watch.running(n)));
      await pool(many.length, 8, (i) => cluster.client.create(PODS, 'default', sleeper(many[i]!, nodeName, image)));
      await all;
      await settle(5_000);
      const full = memory();
      await deletePods(cluster, many, 'app=cri-startup');
      return { latency, inCalls, empty, full };
    } finally {
      calls.stop();
      watch.stop();
    }
  } finally {
    await cluster.stop();
    safeRemoveSync(dataDir, { unmount: true });
  }
}

const direct = await directLatencies();
const cri = await clusterLatencies('cri', true);
const proc = await clusterLatencies('process', false);

const raw = summarize(direct.raw);
const layer = summarize(direct.layer);
const k8tsCri = summarize(cri.latency);
const k8tsCalls = summarize(cri.inCalls);
const k8tsOwn = summarize(cri.latency.map((t, i) => t - cri.inCalls[i]!));
const k8tsProcess = summarize(proc.latency);
table(
  `Pod startup on cri, one at a time (${LATENCY_PODS} pods, busybox \`sleep 3600\`)`,
  ['path', 'p50', 'p99', 'max', 'p50 vs raw CRI', 'p50 overhead'],
  [
    ['raw CRI calls (baseline)', ms(raw.p50), ms(raw.p99), ms(raw.max), '1.0×', ''],
    ['CriRuntime (the contract)', ms(layer.p50), ms(layer.p99), ms(layer.max), ratio(layer.p50, raw.p50), ms(layer.p50 - raw.p50)],
    ['k8ts pod on cri', ms(k8tsCri.p50), ms(k8tsCri.p99), ms(k8tsCri.max), ratio(k8tsCri.p50, raw.p50), ms(k8tsCri.p50 - raw.p50)],
    ['… of which in the three CRI calls', ms(k8tsCalls.p50), ms(k8tsCalls.p99), ms(k8tsCalls.max), ratio(k8tsCalls.p50, raw.p50), ms(k8tsCalls.p50 - raw.p50)],
    ['… of which the rest (the agent\'s own path)', ms(k8tsOwn.p50), ms(k8tsOwn.p99), ms(k8tsOwn.max), '', ''],
    ['k8ts pod on process', ms(k8tsProcess.p50), ms(k8tsProcess.p99), ms(k8tsProcess.max), ratio(k8tsProcess.p50, raw.p50), ''],
  ],
  [
    'raw CRI: RunPodSandbox + CreateContainer + StartContainer over gRPC with hand-built messages, image present.',
    'CriRuntime: the same through the runtime contract (pod cgroup, log directory, status mapping).',
    'k8ts pod: from the create request to the watch event showing the container running (API, agent, kubelet sync,',
    'image check, status update). Target: agent overhead over raw CRI under 20 ms.',
    'Its split: the time inside the agent\'s RunPodSandbox, CreateContainer and StartContainer, and the rest',
    '(each percentile of its own). Every path keeps its pods running until its last one started.',
  ],
);

const e = cri.empty!;
const f = cri.full!;
const n = DENSITY_PODS;
table(
  `Memory on cri: 0 and ${n} pods running (after GC)`,
  ['', '0 pods (baseline)', `${n} pods`, 'difference', 'per pod'],
  [
    ['shims (containerd-shim-runc-v2)', String(e.shims.count), String(f.shims.count), String(f.shims.count - e.shims.count), num((f.shims.count - e.shims.count) / n)],
    ['shim RSS (VmRSS sum)', mib(e.shims.rss), mib(f.shims.rss), mib(f.shims.rss - e.shims.rss), kib((f.shims.rss - e.shims.rss) / n)],
    ['shim PSS (shared pages split)', mib(e.shims.pss), mib(f.shims.pss), mib(f.shims.pss - e.shims.pss), kib((f.shims.pss - e.shims.pss) / n)],
    ['containerd RSS', mib(e.containerd), mib(f.containerd), mib(f.containerd - e.containerd), kib((f.containerd - e.containerd) / n)],
    ['RSS of this process (control plane + agent)', mib(e.rss), mib(f.rss), mib(f.rss - e.rss), kib((f.rss - e.rss) / n)],
    ['heap used of this process', mib(e.heapUsed), mib(f.heapUsed), mib(f.heapUsed - e.heapUsed), kib((f.heapUsed - e.heapUsed) / n)],
  ],
  ['One shim per pod serves its sandbox and containers. Agent bookkeeping is the heap and RSS growth of this process.'],
);
