// The process runtime alone, without a control plane (root only): each of runPodSandbox,
// createContainer and startContainer timed for pods started one after another, then a burst of
// them at once. `node dist/bench/children/process-runtime-steps.js [--pods=30]`.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPodNetwork } from '../../src/network/pod-network/index.js';
import { createProcessRuntime } from '../../src/runtime/process/index.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { ms, perSec, summarize, table } from '../lib/stats.js';

const PODS = Number(process.argv.find((a) => a.startsWith('--pods='))?.split('=')[1] ?? 30);
const WARMUP = 3;

const rootDir = await mkdtemp(join(tmpdir(), 'k8ts-steps-'));
const id = Math.random().toString(36).slice(2, 8);
const podCIDR = `10.${200 + Math.floor(Math.random() * 44)}.${Math.floor(Math.random() * 256)}.0/24`;
const network = await createPodNetwork({ clusterId: `steps-${id}`, podCIDR, stateDir: join(rootDir, 'network') });
const runtime = await createProcessRuntime({ rootDir, network });

const sandbox = (n: number): PodSandboxConfig => ({
  podUid: `uid-${n}`, name: `pod-${n}`, namespace: 'default', attempt: 0, hostname: `pod-${n}`,
  logDirectory: join(rootDir, 'logs', `pod-${n}`), portMappings: [], hostNetwork: false, hostPID: false, hostIPC: false,
  shareProcessNamespace: false, labels: {}, annotations: {},
});
const container: ContainerConfig = {
  name: 'app', attempt: 0, image: 'busybox', command: ['sleep', '3600'], args: [], env: [], mounts: [], logPath: 'app/0.log',
  stdin: false, stdinOnce: false, tty: false, labels: {}, annotations: {},
};

async function startPod(n: number): Promise<[number, number, number]> {
  const config = sandbox(n);
  const t0 = performance.now();
  const sandboxId = await runtime.runPodSandbox(config);
  const t1 = performance.now();
  const containerId = await runtime.createContainer(sandboxId, container, config);
  const t2 = performance.now();
  await runtime.startContainer(containerId);
  return [t1 - t0, t2 - t1, performance.now() - t2];
}

try {
  const steps: [number, number, number][] = [];
  for (let i = 0; i < PODS + WARMUP; i++) {
    const times = await startPod(i);
    if (i >= WARMUP) steps.push(times);
  }
  const start = performance.now();
  await Promise.all(Array.from({ length: PODS }, (_, i) => startPod(1000 + i)));
  const burstMs = performance.now() - start;
  const row = (name: string, samples: number[]) => {
    const s = summarize(samples);
    return [name, ms(s.p50), ms(s.p99), ms(s.max)];
  };
  table(
    `The process runtime alone: ${PODS} pods one after another (after ${WARMUP} warm-ups)`,
    ['step', 'p50', 'p99', 'max'],
    [
      row('runPodSandbox', steps.map((s) => s[0])),
      row('createContainer', steps.map((s) => s[1])),
      row('startContainer', steps.map((s) => s[2])),
      row('all three', steps.map((s) => s[0] + s[1] + s[2])),
    ],
    [`Then ${PODS} at once: ${ms(burstMs)}, ${perSec(PODS / (burstMs / 1000))}. Pod network ${podCIDR}, busybox \`sleep 3600\`.`],
  );
} finally {
  await runtime.removeAll();
  await runtime.close();
  await network.teardown();
  await safeRemove(rootDir, { unmount: true });
}
