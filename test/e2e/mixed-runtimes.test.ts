// One cluster, two runtimes on two nodes: `k8ts up`'s node on cri (containerd, real images) and a
// `k8ts agent` node on the process runtime. A pod on the process node reaches a pod on the cri
// node by pod IP and through a Service, and each node reports its own runtime.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { eventually } from '../helpers/cluster.js';
import { deferCleanup } from '../helpers/cli.js';
import { criStandInCluster } from '../helpers/oci-images.js';
import { containerdUnavailable } from '../helpers/containerd.js';
import { installStandInImages } from '../helpers/images.js';
import { randomPodCIDR, randomServiceCIDR } from './scenario-support.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject, Node, Pod } from '../../src/api/types.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

const skip = process.getuid?.() !== 0 ? 'needs root' : containerdUnavailable() ?? false;

test('a cri node and a process node serve one cluster; pods reach each other across them', { skip }, async (t) => {
  const k = await criStandInCluster(t, { serviceCidr: randomServiceCIDR(), podCIDR: randomPodCIDR(), names: ['nginx'] });
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-mixed-'));
  deferCleanup(t, () => safeRemoveSync(dir, { unmount: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, k.kubeconfig, { mode: 0o600 });
  const agentDir = join(dir, 'agent');
  await installStandInImages({ dataDir: agentDir }, ['busybox']);
  const worker = `process-${process.pid}`;
  const agent = spawn(process.execPath, ['bin/k8ts.js', 'agent', '--kubeconfig', kubeconfig, '--node-name', worker, '--port', '0', '--pod-cidr', randomPodCIDR(), '--data-dir', agentDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  agent.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => agent.on('exit', resolve));
  deferCleanup(t, async () => {
    if (agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGTERM');
      await exited;
    }
  });

  const ready = async (name: string) =>
    eventually(async () => {
      const n = await k.client.get<Node>(NODES, '', name);
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n;
    }, 60_000, 200, `node ${name} Ready (${stderr.slice(-500)})`);
  const [criNode, processNode] = await Promise.all([ready(k.nodeName!), ready(worker)]);
  assert.match(criNode.status!.nodeInfo!.containerRuntimeVersion!, /^containerd:\/\//);
  assert.match(processNode.status!.nodeInfo!.containerRuntimeVersion!, /^k8ts-process:\/\//);

  await k.client.create(PODS, 'default', {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { nodeName: k.nodeName, containers: [{ name: 'nginx', image: 'nginx', readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }] },
  });
  const service = await (await k.client.create<KubeObject>(SERVICES, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } })) as KubeObject & { spec: { clusterIP: string } };
  const web = await eventually(async () => {
    const p = await k.client.get<Pod>(PODS, 'default', 'web');
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
  }, 90_000, 200, 'web Ready on the cri node');

  const fetch = (name: string, url: string) =>
    k.client.create(PODS, 'default', {
      metadata: { name },
      spec: {
        nodeName: worker,
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `for i in $(seq 1 30); do timeout 3 wget -qO- ${url} && exit 0; sleep 1; done; exit 1`] }],
      },
    });
  await fetch('by-ip', `http://${web.status!.podIP}/`);
  await fetch('by-service', `http://${service.spec.clusterIP}/`);
  for (const name of ['by-ip', 'by-service']) {
    const done = await eventually(async () => {
      const p = await k.client.get<Pod>(PODS, 'default', name);
      return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
    }, 90_000, 250, `${name} finished`);
    const logs = await k.kubectl(['logs', name]);
    assert.equal(done.status!.phase, 'Succeeded', `${name}: ${logs.stdout}${logs.stderr}`);
    assert.match(logs.stdout, /<title>Welcome to nginx!<\/title>/);
  }
});
