// The `k8ts` program itself (bin/k8ts.js as a child process): where it writes kubeconfigs, how it
// logs, how it stops, how it refuses a second server, and what survives a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

import { startK8ts, startK8tsServer, tempDir } from '../helpers/cli.js';
import { run } from '../helpers/cluster.js';
import { KUBERNETES_VERSION } from '../../src/apiserver/server.js';

const otherKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: elsewhere
  cluster:
    server: https://elsewhere.example:6443
users:
- name: someone
  user:
    token: abc
contexts:
- name: elsewhere
  context:
    cluster: elsewhere
    user: someone
current-context: elsewhere
`;

interface KubeconfigDoc {
  clusters: { name: string; cluster: { server: string } }[];
  contexts: { name: string }[];
  users: { name: string }[];
  'current-context': string;
}

const kubectl = (kubeconfig: string, cache: string, args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cache, ...args]);

/** A one-line failure: `k8ts: <message>`, exit 1, no stack trace. */
function assertOneLineFailure(r: { code: number | null }, stderr: string, pattern: RegExp): void {
  assert.equal(r.code, 1, stderr);
  const lines = stderr.trim().split('\n');
  const last = lines.at(-1)!;
  assert.match(last, /^k8ts: /);
  assert.match(last, pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.ok(lines.every((l) => l === last || !l.startsWith('k8ts:')), 'a single message line');
}

test('k8ts server: kubeconfigs, JSON logs, one-line refusals, clean SIGTERM, restart keeps state', async (t) => {
  const dir = tempDir(t);
  const dataDir = join(dir, 'data');
  const userKubeconfig = join(dir, 'user-kubeconfig');
  writeFileSync(userKubeconfig, otherKubeconfig, { mode: 0o600 });

  const first = await startK8tsServer(t, ['--data-dir', dataDir, '--log-format', 'json'], { KUBECONFIG: userKubeconfig });
  assert.match(first.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(first.port, 0, 'the chosen port is printed, not 0');
  assert.match(first.stdout(), new RegExp(`The context "k8ts" is now current in ${userKubeconfig.replace(/[.]/g, '\\.')}`));

  // The cluster's own kubeconfig, private to the user.
  const own = join(dataDir, 'kubeconfig');
  assert.ok(existsSync(own));
  assert.equal(statSync(own).mode & 0o777, 0o600);
  const ownDoc = parse(readFileSync(own, 'utf8')) as KubeconfigDoc;
  assert.equal(ownDoc['current-context'], 'k8ts');
  assert.equal(ownDoc.clusters[0]!.cluster.server, first.server);

  // Merged into $KUBECONFIG: the other context is kept, k8ts is current.
  const merged = parse(readFileSync(userKubeconfig, 'utf8')) as KubeconfigDoc;
  assert.deepEqual(merged.contexts.map((c) => c.name).sort(), ['elsewhere', 'k8ts']);
  assert.deepEqual(merged.users.map((u) => u.name).sort(), ['k8ts', 'someone']);
  assert.equal(merged['current-context'], 'k8ts');
  assert.equal(merged.clusters.find((c) => c.name === 'elsewhere')!.cluster.server, 'https://elsewhere.example:6443');

  // kubectl through the merged kubeconfig reaches this server.
  const cache = join(dir, 'cache');
  let r = await kubectl(userKubeconfig, cache, ['create', 'configmap', 'kept', '--from-literal=k=v']);
  assert.equal(r.code, 0, r.stderr);
  r = await kubectl(userKubeconfig, cache, ['get', 'configmap', 'kept', '-o', 'jsonpath={.metadata.resourceVersion}']);
  assert.equal(r.code, 0, r.stderr);
  const rvBefore = Number(r.stdout);
  assert.ok(rvBefore > 0);

  // Every log line is a JSON object with time, level and msg.
  await first.waitFor(/"msg":"cluster ready"/);
  const logLines = first.stderr().trim().split('\n');
  assert.ok(logLines.length >= 3);
  for (const line of logLines) {
    const entry = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof entry.time, 'string');
    assert.ok(['info', 'warn', 'error'].includes(entry.level as string), line);
    assert.equal(typeof entry.msg, 'string');
  }

  // A second server on the same data directory: one line, exit 1.
  const second = startK8ts(t, ['server', '--port', '0', '--data-dir', dataDir, '--write-kubeconfig=false']);
  const secondExit = await second.exited;
  assertOneLineFailure(secondExit, second.stderr(), /is in use by another process.*Stop the other k8ts first, or use --data-dir\.$/);

  // A server on the busy port: one line, exit 1.
  const busy = startK8ts(t, ['server', '--port', String(first.port), '--data-dir', join(dir, 'other'), '--write-kubeconfig=false']);
  const busyExit = await busy.exited;
  assertOneLineFailure(busyExit, busy.stderr(), new RegExp(`the address is already in use \\(127\\.0\\.0\\.1:${first.port}\\).*Choose another with --port\\.$`));

  // SIGTERM stops cleanly.
  const stopped = await first.stop('SIGTERM');
  assert.deepEqual(stopped, { code: 0, signal: null });
  assert.match(first.stderr(), /"msg":"stopped"/);

  // Restart on the same data directory without touching $KUBECONFIG: the object is there and
  // resourceVersions continue upwards.
  const before = readFileSync(userKubeconfig, 'utf8');
  const restarted = await startK8tsServer(t, ['--data-dir', dataDir, '--write-kubeconfig=false'], { KUBECONFIG: userKubeconfig });
  assert.match(restarted.stdout(), new RegExp(`Use it with: export KUBECONFIG=${own.replace(/[.]/g, '\\.')}`));
  assert.equal(readFileSync(userKubeconfig, 'utf8'), before, '--write-kubeconfig=false leaves $KUBECONFIG untouched');
  // Text logs this time: not JSON.
  assert.doesNotMatch(restarted.stderr().split('\n')[0]!, /^\{/);
  r = await kubectl(own, cache, ['get', 'configmap', 'kept', '-o', 'jsonpath={.data.k}']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'v');
  r = await kubectl(own, cache, ['create', 'configmap', 'after-restart']);
  assert.equal(r.code, 0, r.stderr);
  r = await kubectl(own, cache, ['get', 'configmap', 'after-restart', '-o', 'jsonpath={.metadata.resourceVersion}']);
  assert.ok(Number(r.stdout) > rvBefore, `${r.stdout} > ${rvBefore}`);
  assert.deepEqual(await restarted.stop('SIGINT'), { code: 0, signal: null });
});

test('k8ts rejects bad flags and unknown commands with a message and the usage', async (t) => {
  const dir = tempDir(t);
  for (const [args, pattern] of [
    [['server', '--port', 'seventy', '--data-dir', dir], /^k8ts: invalid --port seventy$/m],
    [['server', '--store', 'etcd3', '--data-dir', dir], /^k8ts: invalid --store etcd3: use sqlite, memory or etcd$/m],
    [['server', '--log-format', 'xml', '--data-dir', dir], /^k8ts: invalid --log-format xml: use text or json$/m],
    [['frobnicate'], /^k8ts: unknown command "frobnicate"$/m],
  ] as const) {
    const p = startK8ts(t, [...args]);
    const exit = await p.exited;
    assert.equal(exit.code, 1, `${args.join(' ')}: ${p.stderr()}`);
    assert.match(p.stderr(), pattern);
    assert.match(p.stderr(), /^Usage: k8ts <command> \[flags\]$/m);
    assert.doesNotMatch(p.stderr(), /^\s+at /m);
  }
  const v = startK8ts(t, ['version']);
  assert.equal((await v.exited).code, 0);
  assert.equal(v.stdout(), `k8ts ${KUBERNETES_VERSION.gitVersion}\n`);
  assert.match(KUBERNETES_VERSION.gitVersion, /^v1\.33\./);
});
