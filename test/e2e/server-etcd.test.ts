// `k8ts server --store etcd` on a real etcd, driven by the real kubectl: objects are etcd keys
// under the cluster's prefix, resourceVersions are etcd revisions, a watch sees writes, and
// everything is there again after the server restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openEtcdStore } from '../../src/store/etcd/index.js';
import { startK8tsServer, tempDir } from '../helpers/cli.js';
import { startEtcd } from '../helpers/etcd.js';

function kubectl(kubeconfig: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('k8ts server on etcd: kubectl create, get, watch and delete; objects survive a restart', async (t) => {
  const etcd = await startEtcd(t, { members: 1 });
  const dataDir = join(tempDir(t, 'k8ts-etcd-e2e-'), 'data');
  const kubeconfig = join(dataDir, 'kubeconfig');
  const prefix = `/k8ts-e2e-${process.pid}`;
  const args = ['--data-dir', dataDir, '--write-kubeconfig=false', '--store', 'etcd', `--etcd-endpoints=${etcd.endpoints.join(',')}`, '--etcd-prefix', prefix];
  const raw = await openEtcdStore({ endpoints: etcd.endpoints, compactIntervalMs: 0 });
  t.after(() => raw.close());

  let server = await startK8tsServer(t, args);

  let r = await kubectl(kubeconfig, ['create', 'configmap', 'first', '--from-literal=colour=blue']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'configmap/first created');

  r = await kubectl(kubeconfig, ['get', 'configmap', 'first', '-o', 'jsonpath={.metadata.resourceVersion} {.data.colour}']);
  assert.equal(r.code, 0, r.stderr);
  const [rv, colour] = r.stdout.split(' ');
  assert.equal(colour, 'blue');
  const stored = await raw.get(`${prefix}/registry/core/configmaps/default/first`);
  assert.ok(stored, 'the ConfigMap is an etcd key under the prefix');
  assert.equal(String(stored.modRevision), rv, 'resourceVersion is the etcd revision of the write');
  assert.equal(JSON.parse(stored.value).data.colour, 'blue');
  assert.equal(await raw.get('/registry/core/configmaps/default/first'), undefined);

  // A watch from kubectl sees a create and a delete made by another kubectl.
  const watch = spawn('kubectl', ['--kubeconfig', kubeconfig, 'get', 'configmaps', '--watch-only', '--output-watch-events', '-o', 'custom-columns=EVENT:.type,NAME:.object.metadata.name', '--no-headers'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => watch.kill('SIGKILL'));
  let watched = '';
  watch.stdout.on('data', (d: Buffer) => (watched += d.toString()));
  // The watch is established once a write made after it starts shows up; writes before do not.
  const until = async (pattern: RegExp) => {
    const deadline = Date.now() + 15_000;
    while (!pattern.test(watched)) {
      if (Date.now() > deadline) assert.fail(`kubectl watch printed ${JSON.stringify(watched)}, not ${pattern}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  for (let i = 0; !/second/.test(watched); i++) {
    r = await kubectl(kubeconfig, ['create', 'configmap', i === 0 ? 'second' : `second-${i}`, '--from-literal=n=2']);
    assert.equal(r.code, 0, r.stderr);
    await new Promise((res) => setTimeout(res, 300));
    if (i > 20) assert.fail(`the watch never started: ${watched}`);
  }
  r = await kubectl(kubeconfig, ['delete', 'configmap', 'first']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'configmap "first" deleted');
  await until(/^DELETED\s+first$/m);
  assert.match(watched, /^ADDED\s+second(-\d+)?$/m);
  assert.equal(await raw.get(`${prefix}/registry/core/configmaps/default/first`), undefined);

  r = await kubectl(kubeconfig, ['get', 'configmaps', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  assert.equal(r.code, 0, r.stderr);
  const before = r.stdout.trim();
  assert.match(before, /^second=\d+$/m);
  assert.doesNotMatch(before, /^first=/m);

  // Restart: the same objects with the same resourceVersions, and new writes go on from etcd's revision.
  watch.kill('SIGKILL');
  const stopped = await server.stop('SIGTERM');
  assert.equal(stopped.code, 0, server.stderr());
  server = await startK8tsServer(t, args);
  r = await kubectl(kubeconfig, ['get', 'configmaps', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), before);
  r = await kubectl(kubeconfig, ['create', 'configmap', 'third', '-o', 'jsonpath={.metadata.resourceVersion}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(Number(r.stdout), (await raw.get(`${prefix}/registry/core/configmaps/default/third`))!.modRevision);
  const highest = Math.max(...before.split('\n').map((line) => Number(line.split('=')[1])));
  assert.ok(Number(r.stdout) > highest);
});

test('k8ts server on etcd over TLS: the --etcd-cafile, --etcd-certfile and --etcd-keyfile flags', async (t) => {
  const etcd = await startEtcd(t, { members: 1, tls: true });
  const dataDir = join(tempDir(t, 'k8ts-etcd-tls-e2e-'), 'data');
  const kubeconfig = join(dataDir, 'kubeconfig');
  const { caFile, certFile, keyFile } = etcd.tls!;
  await startK8tsServer(t, [
    '--data-dir', dataDir, '--write-kubeconfig=false', '--store', 'etcd', `--etcd-endpoints=${etcd.endpoints[0]}`,
    '--etcd-cafile', caFile, '--etcd-certfile', certFile, '--etcd-keyfile', keyFile,
  ]);
  const r = await kubectl(kubeconfig, ['create', 'configmap', 'secure', '-o', 'jsonpath={.metadata.resourceVersion}']);
  assert.equal(r.code, 0, r.stderr);
  const raw = await openEtcdStore({ endpoints: etcd.endpoints, tls: etcd.tls!, compactIntervalMs: 0 });
  t.after(() => raw.close());
  assert.equal(String((await raw.get('/registry/core/configmaps/default/secure'))!.modRevision), r.stdout);
});
