// `k8ts agent` in its own process joins a control plane through a kubeconfig, runs a pod on real
// processes, serves its logs through the API server, and cleans its network up on SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import type { Node, Pod } from '../../src/api/types.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const root = process.getuid?.() === 0;

test('a separate agent process joins, runs a pod and serves its logs', { skip: !root && 'needs root for the process runtime' }, async (t) => {
  const cluster = await testCluster(t, { store: 'memory' });
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-agent-'));
  t.after(() => safeRemoveSync(dir, { unmount: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
  const node = `worker-${process.pid}`;
  const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
  const agent = spawn(
    process.execPath,
    ['bin/k8ts.js', 'agent', '--kubeconfig', kubeconfig, '--node-name', node, '--port', '0', '--pod-cidr', subnet, '--data-dir', join(dir, 'agent')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  agent.stdout.on('data', (d) => (output += d));
  agent.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
  t.after(async () => {
    if (agent.exitCode === null) {
      agent.kill('SIGTERM');
      await exited;
    }
  });

  const NODES = ApiClient.resourceOf('v1', 'Node');
  const PODS = ApiClient.resourceOf('v1', 'Pod');
  await eventually(async () => {
    const n = await cluster.client.get<Node>(NODES, '', node);
    return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 30_000);

  await cluster.client.create<Pod>(PODS, 'default', {
    metadata: { name: 'hello' },
    spec: { restartPolicy: 'Never', nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo hello from $(hostname)'] }] },
  } as Pod);
  const done = await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'hello');
    return p.status?.phase === 'Succeeded' ? p : undefined;
  }, 60_000);
  assert.equal(done.spec.nodeName, node);
  assert.ok(done.status?.podIP?.startsWith(subnet.split('.').slice(0, 3).join('.') + '.'), `pod IP ${done.status?.podIP} in ${subnet}`);

  const logs = await cluster.kubectl(['logs', 'hello']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'hello from hello\n');

  agent.kill('SIGTERM');
  assert.equal(await exited, 0, output);
  const links = execFileSync('ip', ['-o', 'link']).toString();
  assert.doesNotMatch(links, new RegExp(`inet ${subnet.split('.').slice(0, 3).join('\\.')}`));
});
