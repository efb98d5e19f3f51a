// The same two-container pod (an init container that echoes and exits, then `sleep 3600`) on
// k8ts-cri, k8ts-process and `podman kube play`, in the same run, one pod at a time: time from the
// request to the main container running, p50/p99 and ratios to k8ts-cri. As root; a runtime that is
// missing gets a row saying so.

import { execFileSync } from 'node:child_process';
import { runningWatch } from './lib/running-watch.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject, Pod } from '../src/api/types.js';
import { buildBusyboxImage, buildPauseImage, ociArchive } from '../src/images/index.js';
import { containerdLayout, containerdMissingReason } from '../src/runtime/cri/index.js';
import { safeRemoveSync } from '../src/util/safe-remove.js';
import { deletePods, PODS, readyCluster, registeredNode } from './lib/cluster.js';
import { Podman, podmanMissingReason } from './lib/podman.js';
import { ms, ratio, settle, size, summarize, table, type Summary } from './lib/stats.js';

const PODS_PER_RUNTIME = size(20, 4);
const IMAGE = 'localhost/bench/busybox:1';
const subnet = () => `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;

/** The manifest all three run. OnFailure: podman 4.3 mishandles init containers under Always. */
function manifest(name: string, image: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'runtimes-compare' } },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 1,
      initContainers: [{ name: 'init', image, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo init done'] }],
      containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  } as KubeObject;
}

const appRunning = (p: Pod) => p.status?.containerStatuses?.find((c) => c.name === 'app')?.state?.running !== undefined;


async function onK8ts(runtime: 'cri' | 'process'): Promise<number[]> {
  const dataDir = mkdtempSync('/tmp/k8ts-bench-cmp-');
  const cluster = await readyCluster({ dataDir, store: 'memory', node: { runtime, podCIDR: subnet() } });
  try {
    const nodeName = await registeredNode(cluster);
    let image = 'busybox';
    if (runtime === 'cri') {
      const archive = join(dataDir, 'busybox.oci.tar');
      writeFileSync(archive, ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]));
      execFileSync('ctr', ['--address', containerdLayout(join(dataDir, 'containerd')).socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
      image = IMAGE;
    }
    await settle(1_000);
    const watch = runningWatch(cluster, nodeName, appRunning);
    const names: string[] = [];
    try {
      const latency: number[] = [];
      for (let i = 0; i < PODS_PER_RUNTIME; i++) {
        const name = `cmp-${i}`;
        names.push(name);
        const pod = { ...manifest(name, image), spec: { ...(manifest(name, image) as Pod).spec, nodeName } } as KubeObject;
        const start = performance.now();
        const running = watch.running(name);
        await cluster.client.create(PODS, 'default', pod);
        await running;
        latency.push(performance.now() - start);
      }
      return latency;
    } finally {
      watch.stop();
      await deletePods(cluster, names, 'app=runtimes-compare', 8);
    }
  } finally {
    await cluster.stop();
    safeRemoveSync(dataDir, { unmount: true });
  }
}

function onPodman(): { latency: number[]; version: string } {
  const podman = new Podman();
  try {
    const busybox = join(podman.dir, 'busybox.oci.tar');
    writeFileSync(busybox, ociArchive([{ name: IMAGE, image: buildBusyboxImage() }]));
    const pause = join(podman.dir, 'pause.oci.tar');
    writeFileSync(pause, ociArchive([{ name: 'localhost/bench/pause:1', image: buildPauseImage() }]));
    podman.load(busybox);
    podman.load(pause);
    const latency: number[] = [];
    for (let i = 0; i < PODS_PER_RUNTIME; i++) {
      const name = `cmp-${i}`;
      const path = join(podman.dir, `${name}.json`);
      writeFileSync(path, JSON.stringify(manifest(name, IMAGE)));
      const start = performance.now();
      podman.play(path);
      const elapsed = performance.now() - start;
      if (!podman.running(name, 'app')) throw new Error(`podman: ${name}'s app container is not running after kube play`);
      latency.push(elapsed);
    }
    return { latency, version: podman.version() };
  } finally {
    podman.stop();
  }
}

type Row = { label: string; summary?: Summary; missing?: string };

async function measure(label: string, missing: string | undefined, run: () => Promise<number[]> | number[]): Promise<Row> {
  if (missing) return { label, missing };
  try {
    return { label, summary: summarize(await run()) };
  } catch (err) {
    return { label, missing: `failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

const notRoot = process.getuid?.() !== 0 ? 'needs root' : undefined;
let podmanVersion = '';
const rows: Row[] = [
  await measure('k8ts-cri', containerdMissingReason(), () => onK8ts('cri')),
  await measure('k8ts-process', notRoot, () => onK8ts('process')),
  await measure('podman kube play', podmanMissingReason(), () => {
    const r = onPodman();
    podmanVersion = r.version;
    return r.latency;
  }),
];
const base = rows[0]!.summary;
table(
  `An init container, then the main one: request to main container running (${PODS_PER_RUNTIME} pods each, one at a time)`,
  ['runtime', 'p50', 'p99', 'max', 'p50 vs k8ts-cri', 'p99 vs k8ts-cri'],
  rows.map((r) =>
    r.summary
      ? [r.label, ms(r.summary.p50), ms(r.summary.p99), ms(r.summary.max), base ? ratio(r.summary.p50, base.p50) : '', base ? ratio(r.summary.p99, base.p99) : '']
      : [r.label, r.missing ?? '', '', '', '', ''],
  ),
  [
    'k8ts: from the create request to the watch event showing the main container running (API, scheduler-free binding by',
    'nodeName, agent, both containers through the runtime). podman: the `podman kube play` command, which returns once',
    `the init container has run and the main one started (${podmanVersion || 'podman'}; pods without network, its own storage).`,
    'Same busybox image everywhere, already present; restartPolicy OnFailure for all three.',
  ],
);
