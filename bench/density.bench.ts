// Density on one node agent of the process runtime (real processes, pod network, as root): the agent
// in a process of its own (bench/children/process-agent.ts), the control plane in this one. For each
// variant, a steady-state window with 0 pods, then N pods Ready, each probed every 10 s, and another
// window: the agent's CPU (its own, and that of the exec helpers it or the launcher forked), its
// memory after GC, the launcher's, and the runtime's own processes per pod. Variants: exec probes
// spawned from Node (K8TS_LAUNCHER=none, the in-run baseline), exec probes through the launcher,
// and tcpSocket probes on busybox httpd. `--only=<text>` runs the variants whose name contains it;
// `--profile=<dir>` also writes the agent's CPU profile of each N-pod window there and prints its summary;
// `--heap=<dir>` writes the agent's heap snapshot after each window there (0 and N pods); `--alloc=<dir>`
// writes the agent's sampling heap profile of the N-pod window there and prints what allocated most.

import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cluster } from '../src/cluster.js';
import type { KubeObject, Pod } from '../src/api/types.js';
import { safeRemoveSync } from '../src/util/safe-remove.js';
import { PODS, readyCluster } from './lib/cluster.js';
import { summarizeProfile } from './lib/cpu-profile.js';
import { ROOT } from './lib/process.js';
import { kib, mib, num, pool, ratio, settle, size, table } from './lib/stats.js';
import type { ProcessAgentSample } from './children/process-agent.js';
import { processMemory } from './lib/proc-memory.js';

const N = size(500, 20);
const WINDOW_MS = size(30_000, 5_000);
/** After the last pod is Ready: every probe has run at least once more at its own phase. */
const WARMUP_MS = size(12_000, 3_000);
const READY_TIMEOUT_MS = 300_000;
const DELETE_TIMEOUT_MS = 1_200_000;
const DELETE_BATCH = 50;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);

interface Variant {
  name: string;
  launcher: 'none' | 'default';
  probe: 'exec' | 'tcp';
}

const ALL_VARIANTS: Variant[] = [
  { name: 'exec probe, spawned from Node (K8TS_LAUNCHER=none)', launcher: 'none', probe: 'exec' },
  { name: 'exec probe, through the launcher', launcher: 'default', probe: 'exec' },
  { name: 'tcpSocket probe (busybox httpd)', launcher: 'default', probe: 'tcp' },
];
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const VARIANTS = ALL_VARIANTS.filter((v) => v.name.includes(flag('only') ?? ''));
const PROFILE_DIR = flag('profile');
const HEAP_DIR = flag('heap');
const ALLOC_DIR = flag('alloc');

interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocationNode[];
}

/** Bytes allocated per second by function (self), from a sampling heap profile that kept collected objects. */
function summarizeAllocations(head: AllocationNode, seconds: number, top: number): string {
  const by = new Map<string, number>();
  let total = 0;
  const walk = (n: AllocationNode) => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node:)/, '$1')}:${f.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(head);
  const rows = [...by].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`allocated ${kib(total / seconds)}/s in all`, ...rows.map(([k, v]) => `${kib(v / seconds).padStart(12)}/s  ${k}`)].join('\n');
}

const SLEEP = ['sleep', '3600'];
const HTTPD = ['busybox', 'httpd', '-f', '-p', '8080'];

function podOf(name: string, nodeName: string, probe: Variant['probe']): KubeObject {
  const container =
    probe === 'exec'
      ? { name: 'app', image: 'busybox', command: SLEEP, readinessProbe: { exec: { command: ['true'] }, periodSeconds: 10 } }
      : { name: 'app', image: 'busybox', command: HTTPD, readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10 } };
  return {
    metadata: { name, labels: { app: 'density' } },
    spec: { nodeName, restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [container] },
  } as KubeObject;
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

interface Stat {
  self: number;
  children: number;
}

/** A process's CPU (ms): its own, and that of its reaped children. */
function cpuOf(pid: number): Stat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the command name.
  return { self: (f[11]! + f[12]!) * TICK_MS, children: (f[13]! + f[14]!) * TICK_MS };
}

interface Proc {
  pid: number;
  ppid: number;
  rss: number;
  pss: number;
  cmdline: string;
  comm: string;
}

function allProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const { rss, pss } = processMemory(pid);
      procs.set(pid, { pid, ppid, rss, pss, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8'), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // exited meanwhile
    }
  }
  return procs;
}

function descendants(root: number, procs: Map<number, Proc>): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: Proc[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

interface Window {
  /** ms of CPU per second of wall time (1,000 = one core). */
  agent: number;
  /** The exec helpers': reaped children of the agent, and the launcher with its children. */
  helpers: number;
  launcher: number;
  controlPlane: number;
  rss: number;
  heapUsed: number;
  launcherRss: number;
  launcherPss: number;
  /** The runtime's processes beyond the containers (infra, supervisors), without the launcher. */
  runtimeRss: number;
  runtimePss: number;
  runtimeCount: number;
  containers: number;
  containersRss: number;
  byComm: string;
  memory: NodeJS.MemoryUsage;
  spaces: ProcessAgentSample['spaces'];
  /** The agent's resident memory by kind of mapping (from smaps). */
  maps: string;
}

/** Resident memory of a process by mapping kind: malloc's brk heap, anonymous maps (V8's pages, malloc's arenas, stacks), files. */
function mapsOf(pid: number): string {
  const kinds = new Map<string, number>();
  let kind = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === '' ? 'anonymous' : head[1]!.startsWith('[') ? head[1]! : 'files';
    else if (line.startsWith('Rss:')) kinds.set(kind, (kinds.get(kind) ?? 0) + Number(/(\d+)/.exec(line)![1]) * 1024);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
}

class AgentProcess {
  readonly child: ChildProcess;
  constructor(launcher: Variant['launcher']) {
    const env = { ...process.env };
    if (launcher === 'none') env.K8TS_LAUNCHER = 'none';
    else delete env.K8TS_LAUNCHER;
    this.child = fork(join(ROOT, 'dist', 'bench', 'children', 'process-agent.js'), [], {
      execArgv: ['--expose-gc', '--enable-source-maps'],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  async start(config: object): Promise<void> {
    const ready = once(this.child, 'message');
    this.child.send(config);
    const [message] = await ready;
    if (message !== 'ready') throw new Error(`agent: ${String(message)}`);
  }

  async sample(): Promise<ProcessAgentSample> {
    const answer = once(this.child, 'message');
    this.child.send('sample');
    return (await answer)[0] as ProcessAgentSample;
  }

  launcherPid(): number | undefined {
    return descendants(this.child.pid!, allProcs()).find((p) => p.comm === 'k8ts-launcher' && p.ppid === this.child.pid)?.pid;
  }

  async heapSnapshot(path: string): Promise<void> {
    const written = once(this.child, 'message');
    this.child.send({ heapSnapshot: path });
    await written;
  }

  async allocations<T>(during: () => Promise<T>): Promise<[T, AllocationNode]> {
    const started = once(this.child, 'message');
    this.child.send('alloc-start');
    await started;
    const value = await during();
    const stopped = once(this.child, 'message');
    this.child.send('alloc-stop');
    return [value, ((await stopped)[0] as { profile: { head: AllocationNode } }).profile.head];
  }

  async profile<T>(during: () => Promise<T>): Promise<[T, object]> {
    const started = once(this.child, 'message');
    this.child.send('profile-start');
    await started;
    const value = await during();
    const stopped = once(this.child, 'message');
    this.child.send('profile-stop');
    return [value, ((await stopped)[0] as { profile: object }).profile];
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send('stop');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 180_000);
    await exited;
    clearTimeout(timer);
  }
}

async function measure(agent: AgentProcess, containerCmd: string): Promise<Window> {
  const pid = agent.child.pid!;
  const launcherAt = agent.launcherPid();
  const a0 = cpuOf(pid);
  const l0 = launcherAt ? cpuOf(launcherAt) : { self: 0, children: 0 };
  const cp0 = process.cpuUsage();
  const t0 = performance.now();
  await settle(WINDOW_MS);
  const a1 = cpuOf(pid);
  const launcherNow = agent.launcherPid();
  const l1 = launcherNow && launcherNow === launcherAt ? cpuOf(launcherNow) : l0;
  const cp = process.cpuUsage(cp0);
  const seconds = (performance.now() - t0) / 1000;
  const sample = await agent.sample();
  const procs = allProcs();
  const tree = descendants(pid, procs);
  const launcherTree = launcherNow ? new Set([launcherNow, ...descendants(launcherNow, procs).map((p) => p.pid)]) : new Set<number>();
  const containers = tree.filter((p) => p.cmdline === containerCmd);
  const runtime = tree.filter((p) => p.cmdline !== containerCmd && !launcherTree.has(p.pid));
  const launcher = launcherNow ? procs.get(launcherNow) : undefined;
  const sum = (ps: Proc[], k: 'rss' | 'pss') => ps.reduce((s, p) => s + p[k], 0);
  const counts = new Map<string, number>();
  for (const p of runtime) counts.set(p.comm, (counts.get(p.comm) ?? 0) + 1);
  const launcherCpu = l1.self + l1.children - l0.self - l0.children;
  return {
    agent: (a1.self - a0.self) / seconds,
    helpers: (a1.children - a0.children + launcherCpu) / seconds,
    launcher: (l1.self - l0.self) / seconds,
    controlPlane: (cp.user + cp.system) / 1000 / seconds,
    rss: sample.memory.rss,
    heapUsed: sample.memory.heapUsed,
    launcherRss: launcher?.rss ?? 0,
    launcherPss: launcher?.pss ?? 0,
    runtimeRss: sum(runtime, 'rss'),
    runtimePss: sum(runtime, 'pss'),
    runtimeCount: runtime.length,
    containers: containers.length,
    containersRss: sum(containers, 'rss'),
    byComm: [...counts].sort((x, y) => y[1] - x[1]).map(([c, n]) => `${n} \`${c}\``).join(', ') || 'none',
    memory: sample.memory,
    spaces: sample.spaces,
    maps: mapsOf(pid),
  };
}

/** Resolves once `count` pods of the node are Ready (or the timeout passed): how many were, and when. */
function readyWatch(cluster: Cluster, nodeName: string) {
  const ready = new Set<string>();
  let wake: (() => void) | undefined;
  const stream = cluster.client.watch<Pod>('/api/v1/namespaces/default/pods', { fieldSelector: `spec.nodeName=${nodeName}` }, ({ type, object }) => {
    if (type === 'DELETED') ready.delete(object.metadata.name!);
    else if (isReady(object)) ready.add(object.metadata.name!);
    wake?.();
  });
  stream.done.catch(() => {});
  return {
    async until(count: number, timeoutMs: number): Promise<number> {
      const deadline = performance.now() + timeoutMs;
      while (ready.size < count && performance.now() < deadline) {
        await Promise.race([new Promise<void>((r) => (wake = r)), settle(1_000)]);
      }
      return ready.size;
    },
    stop: () => stream.stop(),
  };
}

/**
 * Deletes the pods, DELETE_BATCH at a time, and waits until the agent has removed every one (their
 * processes, addresses and groups released): the agent stops only then, or it would leave them
 * behind. Batches: hundreds of containers ending at once exhaust the agent's descriptors. The time it took.
 */
async function deleteAll(cluster: Cluster, names: string[]): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < names.length; from += DELETE_BATCH) {
    const batch = names.slice(from, from + DELETE_BATCH);
    await pool(batch.length, 16, (i) => cluster.client.delete(PODS, 'default', batch[i]!).catch(() => {}));
    for (;;) {
      const left = (await cluster.client.list(PODS, 'default', { labelSelector: 'app=density' })).items.length;
      if (left <= names.length - from - batch.length) break;
      if (performance.now() - start > DELETE_TIMEOUT_MS) throw new Error(`${left} pods were still there ${num(DELETE_TIMEOUT_MS / 1000)} s after their deletion`);
      await settle(1_000);
    }
  }
  return performance.now() - start;
}

interface Result {
  variant: Variant;
  empty: Window;
  full: Window;
  ready: number;
  readyMs: number;
}

function limits(): string {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const nofile = /Max open files\s+(\d+|unlimited)/.exec(read('/proc/self/limits'))?.[1];
  const nproc = /Max processes\s+(\d+|unlimited)/.exec(read('/proc/self/limits'))?.[1];
  return `open files ${nofile}, processes ${nproc}, pid_max ${read('/proc/sys/kernel/pid_max')}, threads-max ${read('/proc/sys/kernel/threads-max')}, free memory ${mib(freemem())}`;
}

const work = mkdtempSync(join(tmpdir(), 'k8ts-bench-density-'));
const cluster = await readyCluster({ store: 'memory' });
const kubeconfig = join(work, 'kubeconfig');
writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
const results: Result[] = [];
console.log(`\nLimits: ${limits()}`);
try {
  for (const [i, variant] of VARIANTS.entries()) {
    const nodeName = `density-${process.pid}-${i}`;
    // A /22: more addresses than N pods, distinct per variant so that no address is reused across agents.
    const podCIDR = `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 64) * 4}.0/22`;
    const agent = new AgentProcess(variant.launcher);
    const watch = readyWatch(cluster, nodeName);
    const names = Array.from({ length: N }, (_, j) => `density-${i}-${j}`);
    try {
      await agent.start({ kubeconfig, nodeName, podCIDR, dataDir: join(work, `agent-${i}`) });
      await settle(3_000);
      const empty = await measure(agent, '\u0001');
      if (HEAP_DIR) await agent.heapSnapshot(join(HEAP_DIR, `density-${i}-0.heapsnapshot`));
      const start = performance.now();
      await pool(N, 32, (j) => cluster.client.create(PODS, 'default', podOf(names[j]!, nodeName, variant.probe)));
      const ready = await watch.until(N, READY_TIMEOUT_MS);
      const readyMs = performance.now() - start;
      if (ready < N) console.log(`\n${variant.name}: only ${ready} of ${N} pods Ready after ${num(readyMs / 1000)} s`);
      await settle(WARMUP_MS);
      const containerCmd = `${(variant.probe === 'exec' ? SLEEP : HTTPD).join('\0')}\0`;
      let full: Window;
      if (PROFILE_DIR) {
        let profile: object;
        [full, profile] = await agent.profile(() => measure(agent, containerCmd));
        const file = join(PROFILE_DIR, `density-${i}.cpuprofile`);
        writeFileSync(file, JSON.stringify(profile));
        console.log(`\n${variant.name}: the agent's CPU profile at ${N} pods (${file}):\n${summarizeProfile(profile as Parameters<typeof summarizeProfile>[0], 25)}`);
      } else if (ALLOC_DIR) {
        let head: AllocationNode;
        [full, head] = await agent.allocations(() => measure(agent, containerCmd));
        const file = join(ALLOC_DIR, `density-${i}.heapprofile`);
        writeFileSync(file, JSON.stringify({ head }));
        console.log(`\n${variant.name}: what the agent allocated at ${N} pods (${file}):\n${summarizeAllocations(head, WINDOW_MS / 1000, 30)}`);
      } else full = await measure(agent, containerCmd);
      if (HEAP_DIR) await agent.heapSnapshot(join(HEAP_DIR, `density-${i}-${N}.heapsnapshot`));
      for (const [pods, w] of [[0, empty], [N, full]] as const) {
        const m = w.memory;
        console.log(`${variant.name}, ${pods} pods: rss ${mib(m.rss)}, heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)}, array buffers ${mib(m.arrayBuffers)}; resident: ${w.maps}`);
        console.log(`  V8 spaces (resident / used): ${w.spaces.filter(([, c]) => c > 0).map(([n, c, u]) => `${n} ${mib(c)} / ${mib(u)}`).join(', ')}`);
      }
      results.push({ variant, empty, full, ready, readyMs });
      console.log(`\n${variant.name}: ${ready} pods Ready in ${num(readyMs / 1000)} s; runtime processes: ${full.byComm}`);
    } finally {
      watch.stop();
      try {
        const deleteMs = await deleteAll(cluster, names);
        console.log(`${variant.name}: ${N} pods deleted and gone in ${num(deleteMs / 1000)} s`);
      } finally {
        await agent.stop();
      }
    }
  }
} finally {
  await cluster.stop();
  safeRemoveSync(work, { unmount: true });
}

const pct = (msPerSec: number) => `${num(msPerSec / 10)}%`;
const base = results[0]!;
table(
  `Agent CPU, 0 and ${N} pods, each probed every 10 s (${num(WINDOW_MS / 1000)} s windows)`,
  ['variant', 'agent, 0 pods', `agent, ${N} pods`, 'exec helpers', 'agent + helpers', 'vs baseline', 'control plane'],
  results.map((r) => [
    r.variant.name,
    pct(r.empty.agent),
    pct(r.full.agent),
    pct(r.full.helpers),
    pct(r.full.agent + r.full.helpers),
    ratio(r.full.agent + r.full.helpers, base.full.agent + base.full.helpers),
    pct(r.full.controlPlane),
  ]),
  [
    'Percent of one core (user + system time per wall second). Agent: the node agent process alone (NodeAgent, process runtime,',
    'service proxy and DNS of the node). Exec helpers: the CPU of the commands the agent forked and reaped (without the launcher),',
    'or of the launcher and the commands it forked. Control plane: this process (API server, store, controllers), in the same window.',
    `Baseline: the first row (exec probes spawned from Node, in this run). Target: agent under 10% of a core at 500 pods.`,
  ],
);
table(
  `Agent memory and the runtime's processes, 0 and ${N} pods (after GC)`,
  ['variant', 'agent RSS 0 → N pods', 'heap used 0 → N', 'RSS per pod', 'launcher RSS / PSS', 'runtime procs per pod', 'their VmRSS per pod', 'their PSS per pod', 'containers (VmRSS per pod)'],
  results.map((r) => [
    r.variant.name,
    `${mib(r.empty.rss)} → ${mib(r.full.rss)}`,
    `${mib(r.empty.heapUsed)} → ${mib(r.full.heapUsed)}`,
    kib((r.full.rss - r.empty.rss) / N),
    r.full.launcherRss ? `${kib(r.full.launcherRss)} / ${kib(r.full.launcherPss)}` : '–',
    num((r.full.runtimeCount - r.empty.runtimeCount) / N),
    kib((r.full.runtimeRss - r.empty.runtimeRss) / N),
    kib((r.full.runtimePss - r.empty.runtimePss) / N),
    `${r.full.containers} (${kib(r.full.containersRss / Math.max(1, r.full.containers))})`,
  ]),
  [
    'Runtime processes: descendants of the agent that are not a container nor the launcher (sandbox holders, supervisors, any exec',
    'helper running at the sample). VmRSS counts shared pages in every process; PSS splits them. Targets: agent RSS under 150 MB;',
    'overhead per pod beyond the container under 1 MB.',
    ...results.map((r) => `${r.variant.name}: ${r.ready}/${N} Ready in ${num(r.readyMs / 1000)} s; runtime processes at ${N} pods: ${r.full.byComm}.`),
  ],
);
