#!/usr/bin/env node
// Where a pod's startup goes, one pod at a time: creates pods on an in-process cluster (`fake`: one
// simulated node; `cri`: containerd, as root) and times the agent's steps and runtime calls from
// the create request to the watch showing the container running, by wrapping their prototypes.
// Prints the median of each phase and, with SHOW=<n>, the timelines of the last n pods. DIST points
// at another checkout's dist/ to compare builds (run two at once: both see the same machine).
//   node scripts/trace-pod-path.mjs cri 30
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const dist = pathToFileURL(process.env.DIST ?? new URL('../dist/', import.meta.url).pathname).href.replace(/\/?$/, '/');
const load = (path) => import(new URL(path, dist).href);
const { CriRuntime, containerdLayout } = await load('src/runtime/cri/index.js');
const { FakeRuntime } = await load('src/runtime/fake/runtime.js');
const { Kubelet } = await load('src/kubelet/kubelet.js');
const { PodSyncHandler } = await load('src/kubelet/pod-sync.js');
const { StatusManager } = await load('src/kubelet/status/manager.js');
const { ApiPodStatusWriter } = await load('src/agent/api-seams.js');
const { VolumeManager } = await load('src/kubelet/volumes/manager.js');
const { buildBusyboxImage, ociArchive } = await load('src/images/index.js');
const { safeRemoveSync } = await load('src/util/safe-remove.js');
const { PODS, readyCluster } = await load('bench/lib/cluster.js');
const { runningWatch } = await load('bench/lib/running-watch.js');

const mode = process.argv[2] === 'cri' ? 'cri' : 'fake';
const count = Number(process.argv[3] ?? 20);
const IMAGE = 'registry.k8ts.local/bench/busybox:1';

let t0 = 0;
let log;
let current = '';
const mark = (what) => log?.push([performance.now() - t0, what]);
function wrap(proto, name, label = name) {
  const original = proto[name];
  if (!original) return;
  proto[name] = function (...args) {
    const pod = args[0]?.metadata?.name;
    const l = pod && pod !== current ? `${label}(${pod})` : label;
    mark(`> ${l}`);
    const result = original.apply(this, args);
    if (result && typeof result.then === 'function') return result.finally(() => mark(`< ${l}`));
    mark(`< ${l}`);
    return result;
  };
}
const runtimeProto = mode === 'cri' ? CriRuntime.prototype : FakeRuntime.prototype;
for (const m of ['listPodSandboxes', 'listContainers', 'runPodSandbox', 'podSandboxStatus', 'imageStatus', 'createContainer', 'startContainer', 'containerStatus']) wrap(runtimeProto, m);
wrap(Kubelet.prototype, 'podAdded');
wrap(Kubelet.prototype, 'podUpdated');
wrap(PodSyncHandler.prototype, 'syncPod');
wrap(StatusManager.prototype, 'setPodStatus');
wrap(ApiPodStatusWriter.prototype, 'writeStatus');
wrap(VolumeManager.prototype, 'setUp', 'volumes.setUp');

const dataDir = mkdtempSync('/tmp/k8ts-trace-');
const podCIDR = `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;
const cluster = await readyCluster({ dataDir, store: 'memory', ...(mode === 'fake' ? { simulatedNodes: 1 } : { node: { runtime: 'cri', podCIDR } }) });
const nodeName = mode === 'fake' ? 'sim-0' : cluster.nodeName;
try {
  for (let i = 0; i < 200; i++) {
    try {
      await cluster.client.request('GET', `/api/v1/nodes/${nodeName}`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let image = 'busybox';
  if (mode === 'cri') {
    const archive = join(dataDir, 'busybox.oci.tar');
    writeFileSync(archive, ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]));
    execFileSync('ctr', ['--address', containerdLayout(join(dataDir, 'containerd')).socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
    image = IMAGE;
  }
  await new Promise((r) => setTimeout(r, 1000));
  const watch = runningWatch(cluster, nodeName, (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
  const logs = [];
  const busy = [];
  for (let i = 0; i < count; i++) {
    current = `trace-${i}`;
    log = [];
    t0 = performance.now();
    const elu = performance.eventLoopUtilization();
    const running = watch.running(current);
    await cluster.client.create(PODS, 'default', {
      metadata: { name: current, labels: { app: 'trace' } },
      spec: { nodeName, restartPolicy: 'Always', terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    });
    await running;
    mark('RUNNING seen');
    busy.push(performance.eventLoopUtilization(elu).active);
    logs.push(log);
    log = undefined;
    await new Promise((r) => setTimeout(r, 300));
  }
  watch.stop();

  const median = (xs) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)] : NaN;
  };
  const at = (l, what) => l.find(([, w]) => w === what)?.[0];
  const span = (l, name) => at(l, `< ${name}`) - at(l, `> ${name}`);
  const phases = {
    'create → agent sees the pod': (l) => at(l, '> podAdded'),
    'agent sees it → RunPodSandbox': (l) => at(l, '> runPodSandbox') - at(l, '> podAdded'),
    'RunPodSandbox': (l) => span(l, 'runPodSandbox'),
    'sandbox → CreateContainer': (l) => at(l, '> createContainer') - at(l, '< runPodSandbox'),
    'CreateContainer': (l) => span(l, 'createContainer'),
    'StartContainer': (l) => span(l, 'startContainer'),
    'started → watch shows it running': (l) => at(l, 'RUNNING seen') - at(l, '< startContainer'),
    'total': (l) => at(l, 'RUNNING seen'),
    "the agent's own path (total − 3 calls)": (l) => at(l, 'RUNNING seen') - span(l, 'runPodSandbox') - span(l, 'createContainer') - span(l, 'startContainer'),
  };
  console.log(`${mode}, ${count} pods, p50 of each phase (ms)`);
  for (const [name, f] of Object.entries(phases)) console.log(`  ${name.padEnd(40)} ${median(logs.map(f)).toFixed(1)}`);
  console.log(`  ${'event loop busy per pod'.padEnd(40)} ${median(busy).toFixed(1)}`);
  const show = Number(process.env.SHOW ?? 0);
  for (const l of show > 0 ? logs.slice(-show) : []) {
    console.log('---');
    for (const [t, w] of l) console.log(`${t.toFixed(1).padStart(8)} ${w}`);
  }
  await Promise.all(Array.from({ length: count }, (_, i) => cluster.client.delete(PODS, 'default', `trace-${i}`).catch(() => {})));
  await new Promise((r) => setTimeout(r, 3000));
} finally {
  await cluster.stop();
  safeRemoveSync(dataDir, { unmount: true });
}
process.exit(0);
