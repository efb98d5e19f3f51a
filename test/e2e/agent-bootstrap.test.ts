// Joining with a bootstrap token, as a user does it: `k8ts server`, `k8ts token create
// --print-join-command`, and the printed `k8ts agent` command. The node's CSR is approved and
// issued, a pod runs on it, its credential cannot touch another node's pods, it restarts without
// the token, and a wrong token, a wrong secret or a wrong CA pin is refused before anything starts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { K8TS_BIN, clientFromKubeconfig, startK8ts, startK8tsServer, tempDir } from '../helpers/cli.js';
import { eventually, run } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { ApiError } from '../../src/api/errors.js';
import type { Node, Pod } from '../../src/api/types.js';

const root = process.getuid?.() === 0;
const NODES = ApiClient.resourceOf('v1', 'Node');
const PODS = ApiClient.resourceOf('v1', 'Pod');

async function k8ts(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [K8TS_BIN, ...args]);
}

/** `k8ts server` and the join command it prints for a new token. */
async function serverWithJoinCommand(t: { after(fn: () => unknown): unknown }) {
  const dir = tempDir(t, 'k8ts-bootstrap-');
  const server = await startK8tsServer(t, ['--data-dir', join(dir, 'server'), '--store', 'memory', '--write-kubeconfig=false']);
  t.after(() => server.stop());
  const created = await k8ts(['token', 'create', '--data-dir', join(dir, 'server'), '--print-join-command']);
  assert.equal(created.code, 0, created.stderr);
  const m = /^k8ts agent --server (https:\/\/\S+) --token ([a-z0-9]{6})\.([a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\n$/.exec(created.stdout);
  assert.ok(m, created.stdout);
  const [, url, id, secret, pin] = m as unknown as [string, string, string, string, string];
  assert.equal(url, server.server);
  return { dir, server, id, secret, pin, join: created.stdout.trim().split(' ').slice(1), kubeconfig: join(dir, 'server', 'kubeconfig') };
}

test('a wrong token, a wrong secret or a wrong CA pin is refused', async (t) => {
  const { dir, server, id, secret, pin } = await serverWithJoinCommand(t);
  const attempt = async (token: string, hash: string) => {
    const r = await k8ts(['agent', '--server', server.server, '--token', token, '--discovery-token-ca-cert-hash', hash, '--data-dir', join(dir, `agent-${randomBytes(3).toString('hex')}`), '--port', '0']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    return r.stderr;
  };
  const otherId = id === 'zzzzzz' ? 'yyyyyy' : 'zzzzzz';
  assert.equal(
    await attempt(`${otherId}.${secret}`, pin),
    `k8ts: token id "${otherId}" is invalid for this cluster or it has expired. Use "k8ts token create" on the control-plane node to create a new valid token\n`,
  );
  assert.equal(await attempt(`${id}.${'0'.repeat(16)}`, pin), "k8ts: failed to verify JWS signature of received cluster info object, can't trust this API server\n");
  assert.equal(await attempt(`${id}.${secret}`, `sha256:${'0'.repeat(64)}`), `k8ts: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin}" are pinned\n`);
  const unpinned = await k8ts(['agent', '--server', server.server, '--token', `${id}.${secret}`, '--discovery-token-ca-cert-hash', 'md5:abc', '--port', '0', '--data-dir', join(dir, 'agent-x')]);
  assert.equal(unpinned.stderr, 'k8ts: invalid hash "md5:abc", expected "format:hex-value". Known format(s) are: sha256\n');

  // token list shows it as kubeadm does; once deleted, it joins nothing.
  const serverDir = join(dir, 'server');
  const listed = await k8ts(['token', 'list', '--data-dir', serverDir]);
  assert.match(listed.stdout, /^TOKEN {21}TTL {7}EXPIRES {16}USAGES {19}DESCRIPTION   EXTRA GROUPS\n/);
  assert.match(listed.stdout, new RegExp(`^${id}\\.${secret}   23h       \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ   authentication,signing   <none>        system:bootstrappers:kubeadm:default-node-token$`, 'm'));
  const deleted = await k8ts(['token', 'delete', '--data-dir', serverDir, id]);
  assert.equal(deleted.stdout, `bootstrap token "${id}" deleted\n`, deleted.stderr);
  await eventually(async () => (await attempt(`${id}.${secret}`, pin)).includes(`token id "${id}" is invalid for this cluster`), 10_000);
  assert.equal((await k8ts(['token', 'delete', '--data-dir', serverDir, id])).stderr, `k8ts: bootstrap token "${id}" not found\n`);
});

test('the printed join command joins a node with its own credential', { skip: !root && 'needs root for the process runtime' }, async (t) => {
  const { dir, id, join: joinArgs, kubeconfig } = await serverWithJoinCommand(t);
  const admin = clientFromKubeconfig(kubeconfig);
  t.after(() => admin.close());
  const node = `joined-${randomBytes(3).toString('hex')}`;
  const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}.0/24`;
  const agentDir = join(dir, 'agent');
  const agentArgs = ['--data-dir', agentDir, '--port', '0', '--node-name', node, '--pod-cidr', subnet];
  let agent = startK8ts(t, [...joinArgs, ...agentArgs]);
  await agent.waitFor(/node agent ready/, 60_000);
  await eventually(async () => (await admin.get<Node>(NODES, '', node)).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 30_000);

  const kubectl = (args: string[], config = kubeconfig) => run('kubectl', ['--kubeconfig', config, ...args]);
  const csrs = await kubectl(['get', 'csr']);
  assert.equal(csrs.code, 0, csrs.stderr);
  assert.match(csrs.stdout, new RegExp(`^node-csr-\\S+\\s+\\S+\\s+kubernetes.io/kube-apiserver-client-kubelet\\s+system:bootstrap:${id}\\s+<none>\\s+Approved,Issued$`, 'm'));

  await admin.create<Pod>(PODS, 'default', {
    metadata: { name: 'hello' },
    spec: { restartPolicy: 'Never', nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo joined'] }] },
  } as Pod);
  await eventually(async () => (await admin.get<Pod>(PODS, 'default', 'hello')).status?.phase === 'Succeeded', 60_000);
  const logs = await kubectl(['logs', 'hello']);
  assert.equal(logs.stdout, 'joined\n', logs.stderr);

  // Another node's pod is out of reach of this node's credential.
  const other = `other-${randomBytes(3).toString('hex')}`;
  await admin.create(NODES, '', { metadata: { name: other } });
  t.after(() => admin.delete(NODES, '', other).catch(() => {}));
  await admin.create(PODS, 'default', { metadata: { name: 'theirs' }, spec: { nodeName: other, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }] } });
  const nodeKubeconfig = join(agentDir, 'kubeconfig');
  const deleted = await kubectl(['delete', 'pod', 'theirs', '--wait=false'], nodeKubeconfig);
  assert.equal(deleted.code, 1);
  assert.equal(deleted.stderr, `Error from server (Forbidden): pods "theirs" is forbidden: node "${node}" can only delete pods with spec.nodeName set to itself\n`);
  const nodeClient = clientFromKubeconfig(nodeKubeconfig);
  t.after(() => nodeClient.close());
  await assert.rejects(nodeClient.patch(PODS, 'default', 'theirs', { status: { phase: 'Failed' } }, 'strategic', 'status'), (err: unknown) => {
    assert.ok(err instanceof ApiError && err.code === 403, String(err));
    assert.equal(err.message, `pods "theirs" is forbidden: node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    return true;
  });
  const patched = await kubectl(['label', 'pod', 'theirs', 'stolen=yes'], nodeKubeconfig);
  assert.match(patched.stderr, new RegExp(`pods "theirs" is forbidden: User "system:node:${node}" cannot get resource "pods" in API group "" in the namespace "default": no relationship found between node '${node}' and this object`));
  assert.equal((await admin.get<Pod>(PODS, 'default', 'theirs')).metadata.deletionTimestamp, undefined);

  // A restart uses the node's credential: no token, no new request.
  assert.equal((await agent.stop()).code, 0, agent.stderr());
  agent = startK8ts(t, ['agent', ...agentArgs]);
  await agent.waitFor(/node agent ready/, 60_000);
  assert.doesNotMatch(agent.stdout() + agent.stderr(), /waiting for the node certificate/);
  const after = await kubectl(['get', 'csr', '-o', 'name']);
  assert.equal(after.stdout.trim().split('\n').length, 1, after.stdout);
  assert.equal((await agent.stop()).code, 0, agent.stderr());
  const links = execFileSync('ip', ['-o', 'addr']).toString();
  assert.doesNotMatch(links, new RegExp(`inet ${subnet.split('.').slice(0, 3).join('\\.')}\\.`));
});
