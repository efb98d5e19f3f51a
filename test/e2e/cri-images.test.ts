// Images on the cri runtime end to end: `k8ts images import|ls`, pull policies against a local
// registry (already present, Always, a missing image backing off), a registry that requires
// credentials (imagePullSecrets, the service account's pull secrets, and none), and kubectl exec,
// logs -f, cp and port-forward on a cri pod.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBusyboxImage, dockerArchive, ociArchive } from '../../src/images/index.js';
import { containerdUnavailable } from '../helpers/containerd.js';
import { eventually, run, spawnCollect } from '../helpers/cluster.js';
import { criStandInCluster, type CriStandInCluster } from '../helpers/oci-images.js';
import { startTestRegistry } from '../helpers/registry.js';
import { randomPodCIDR, randomServiceCIDR } from './scenario-support.js';

const unavailable = containerdUnavailable();
const k8ts = (args: string[]) => run(process.execPath, ['bin/k8ts.js', ...args]);

const pod = (name: string, image: string, extra: { policy?: string; secrets?: string[]; namespace?: string; command?: string } = {}) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${extra.namespace ?? 'default'}
spec:
  terminationGracePeriodSeconds: 1
${extra.secrets ? `  imagePullSecrets:\n${extra.secrets.map((s) => `  - name: ${s}`).join('\n')}\n` : ''}  containers:
  - name: main
    image: ${image}
${extra.policy ? `    imagePullPolicy: ${extra.policy}\n` : ''}    command: ["sh", "-c", ${JSON.stringify(extra.command ?? 'sleep 3600')}]
`;

interface EventRow {
  reason: string;
  message: string;
  count?: number;
}

async function events(k: CriStandInCluster, name: string, namespace = 'default'): Promise<EventRow[]> {
  const r = await k.kubectl(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout).items as EventRow[]).map((e) => ({ reason: e.reason, message: e.message, count: e.count }));
}

async function waiting(k: CriStandInCluster, name: string, namespace = 'default'): Promise<{ reason?: string; message?: string } | undefined> {
  const r = await k.kubectl(['get', 'pod', name, '-n', namespace, '-o', 'jsonpath={.status.containerStatuses[0].state.waiting}']);
  return r.stdout ? JSON.parse(r.stdout) : undefined;
}

async function isRunning(k: CriStandInCluster, name: string, namespace = 'default'): Promise<boolean> {
  const r = await k.kubectl(['get', 'pod', name, '-n', namespace, '-o', 'jsonpath={.status.containerStatuses[0].state.running.startedAt}']);
  return r.stdout !== '';
}

test('images on the cri runtime', { skip: unavailable ?? false }, async (t) => {
  const credentials = { username: 'k8ts', password: `pull-${process.pid}-${Date.now()}` };
  const privateRegistry = await startTestRegistry({ credentials });
  t.after(() => privateRegistry.stop());
  const privateImage = await privateRegistry.pushImage('team/private:v1', buildBusyboxImage({ cmd: ['sh'] }));
  const k = await criStandInCluster(t, { names: ['busybox:1.28'], serviceCidr: randomServiceCIDR(), podCIDR: randomPodCIDR(), extraRegistries: [privateRegistry.host] });
  const apply = async (file: string, text: string) => {
    const r = await k.kubectl(['apply', '-f', k.manifest(file, text)]);
    assert.equal(r.code, 0, r.stderr);
  };

  await t.test('images import loads an OCI archive and a docker-archive; images ls lists them', async () => {
    const ociFile = join(k.scratch, 'tool.oci.tar');
    const dockerFile = join(k.scratch, 'other.docker.tar');
    writeFileSync(ociFile, ociArchive([{ name: 'k8ts.test/offline/tool:1', image: buildBusyboxImage({ cmd: ['sh'], labels: { which: 'oci' } }) }]));
    writeFileSync(dockerFile, dockerArchive([{ name: 'offline/other:2', image: buildBusyboxImage({ cmd: ['sh'], labels: { which: 'docker' } }) }]));
    let r = await k8ts(['images', 'import', ociFile, '--data-dir', k.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'image k8ts.test/offline/tool:1 imported\n');
    r = await k8ts(['images', 'import', dockerFile, '--data-dir', k.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'image docker.io/offline/other:2 imported\n');
    r = await k8ts(['images', 'ls', '--data-dir', k.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    assert.ok(lines.some((l) => /^k8ts\.test\/offline\/tool\s+1\s+[0-9a-f]{13}\s+\d+(\.\d+)?[kM]B$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^docker\.io\/offline\/other\s+2\s+[0-9a-f]{13}\s+/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^registry\.k8s\.io\/pause\s+3\.10\s+/.test(l)), r.stdout);

    writeFileSync(join(k.scratch, 'junk.tar'), 'not an archive at all');
    r = await k8ts(['images', 'import', join(k.scratch, 'junk.tar'), '--data-dir', k.dataDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /junk\.tar is not a tar archive/);
    r = await k8ts(['images', 'import', join(k.scratch, 'absent.tar'), '--data-dir', k.dataDir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /absent\.tar: no such file or directory/);
  });

  await t.test('IfNotPresent with the image present: no pull, and the "already present" event', async () => {
    await apply('present.yaml', pod('present', 'k8ts.test/offline/tool:1', { policy: 'IfNotPresent' }));
    await eventually(() => isRunning(k, 'present'), 60_000, 250);
    const rows = await events(k, 'present');
    assert.ok(rows.some((e) => e.reason === 'Pulled' && e.message === 'Container image "k8ts.test/offline/tool:1" already present on machine'), JSON.stringify(rows));
    assert.ok(!rows.some((e) => e.reason === 'Pulling'), JSON.stringify(rows));
  });

  await t.test('Always pulls, with the time and the image size in the Pulled event', async () => {
    const image = `${k.registry.host}/library/busybox:1.28`;
    await apply('always.yaml', pod('always', image, { policy: 'Always' }));
    await eventually(() => isRunning(k, 'always'), 60_000, 250);
    const rows = await events(k, 'always');
    assert.ok(rows.some((e) => e.reason === 'Pulling' && e.message === `Pulling image "${image}"`), JSON.stringify(rows));
    const pulled = rows.find((e) => e.reason === 'Pulled');
    assert.match(pulled?.message ?? '', new RegExp(`^Successfully pulled image "${image.replace(/[.]/g, '\\.')}" in \\d+(\\.\\d+)?m?s \\(\\d+(\\.\\d+)?m?s including waiting\\)\\. Image size: \\d+ bytes\\.$`));
    assert.ok(Number(/Image size: (\d+)/.exec(pulled!.message)![1]) > 500_000, pulled!.message);
  });

  await t.test('a missing image: ErrImagePull, then ImagePullBackOff, with growing waits between pulls', async () => {
    const image = `${k.registry.host}/k8ts/missing:1`;
    // A watch sees every status the kubelet writes, however briefly it lasts.
    const watch = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '--watch', '--no-headers', '--field-selector', 'metadata.name=missing'], t);
    await apply('missing.yaml', pod('missing', image));
    // One poll loop from the start: the waiting reasons seen, and when the Pulling event's count grew.
    const reasons: { reason?: string; message?: string }[] = [];
    const pullsAt: number[] = [];
    await eventually(async () => {
      const [w, rows] = await Promise.all([waiting(k, 'missing'), events(k, 'missing')]);
      if (w?.reason && reasons.at(-1)?.reason !== w.reason) reasons.push(w);
      const count = rows.find((e) => e.reason === 'Pulling')?.count ?? 0;
      while (pullsAt.length < count) pullsAt.push(Date.now());
      return pullsAt.length >= 3 && reasons.some((r) => r.reason === 'ImagePullBackOff');
    }, 90_000, 200);
    watch.child.kill('SIGTERM');
    const statuses = watch.output().split('\n').filter(Boolean).map((l) => l.split(/\s+/)[2]);
    const firstImageStatus = statuses.find((s) => s?.includes('Image'));
    assert.equal(firstImageStatus, 'ErrImagePull', watch.output());
    assert.ok(statuses.indexOf('ImagePullBackOff') > statuses.indexOf('ErrImagePull'), watch.output());
    const backoff = reasons.find((r) => r.reason === 'ImagePullBackOff')!;
    assert.match(backoff.message!, new RegExp(`^Back-off pulling image "${image.replace(/[.]/g, '\\.')}": ErrImagePull: .*not found`));
    // At least about 10 s, then at least about 20 s between pulls, the second wait the longer (lower
    // bounds only: real processes on a shared machine; the 90 s window above bounds the whole).
    const gaps = [pullsAt[1]! - pullsAt[0]!, pullsAt[2]! - pullsAt[1]!];
    assert.ok(gaps[0]! >= 7_000, `waits between pulls: ${gaps.join(', ')} ms`);
    assert.ok(gaps[1]! >= 15_000 && gaps[1]! > gaps[0]! + 3000, `waits between pulls: ${gaps.join(', ')} ms`);
    const rows = await events(k, 'missing');
    assert.ok(rows.some((e) => e.reason === 'BackOff' && e.message === `Back-off pulling image "${image}"`), JSON.stringify(rows));
    assert.ok(rows.some((e) => e.reason === 'Failed' && e.message === 'Error: ErrImagePull'), JSON.stringify(rows));
    assert.ok(rows.some((e) => e.reason === 'Failed' && e.message === 'Error: ImagePullBackOff'), JSON.stringify(rows));
  });

  await t.test('a registry that requires credentials: pull secrets work, no secret fails with the registry refusal', async () => {
    const secret = await k.kubectl([
      'create', 'secret', 'docker-registry', 'regcred',
      `--docker-server=${privateRegistry.host}`, `--docker-username=${credentials.username}`, `--docker-password=${credentials.password}`,
    ]);
    assert.equal(secret.code, 0, secret.stderr);
    await apply('denied.yaml', pod('denied', privateImage, { policy: 'Always' }));
    await apply('allowed.yaml', pod('allowed', privateImage, { policy: 'Always', secrets: ['regcred'] }));
    await eventually(() => isRunning(k, 'allowed'), 60_000, 250);
    const denied = await eventually(async () => {
      const w = await waiting(k, 'denied');
      return (w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff') && w;
    }, 60_000, 250);
    assert.match(denied.message!, /401 Unauthorized|authorization failed|no basic auth credentials/i);

    // The service account's imagePullSecrets reach pods that name none.
    assert.equal((await k.kubectl(['create', 'namespace', 'team'])).code, 0);
    const copy = await k.kubectl([
      'create', 'secret', 'docker-registry', 'regcred', '-n', 'team',
      `--docker-server=${privateRegistry.host}`, `--docker-username=${credentials.username}`, `--docker-password=${credentials.password}`,
    ]);
    assert.equal(copy.code, 0, copy.stderr);
    await eventually(async () => (await k.kubectl(['get', 'serviceaccount', 'default', '-n', 'team'])).code === 0, 30_000, 250);
    const patched = await k.kubectl(['patch', 'serviceaccount', 'default', '-n', 'team', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}']);
    assert.equal(patched.code, 0, patched.stderr);
    await apply('by-sa.yaml', pod('by-sa', privateImage, { policy: 'Always', namespace: 'team' }));
    assert.equal((await k.kubectl(['get', 'pod', 'by-sa', '-n', 'team', '-o', 'jsonpath={.spec.imagePullSecrets[0].name}'])).stdout, 'regcred');
    await eventually(() => isRunning(k, 'by-sa', 'team'), 60_000, 250);
  });

  await t.test('kubectl exec, logs -f, cp and port-forward on a cri pod', async () => {
    await apply('tools.yaml', pod('tools', 'busybox:1.28', {
      command: 'mkdir -p /www && echo served > /www/index.html && httpd -p 8080 -h /www && i=0; while true; do i=$((i+1)); echo line $i; sleep 0.5; done',
    }));
    await eventually(() => isRunning(k, 'tools'), 60_000, 250);

    const exec = await k.kubectl(['exec', 'tools', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(exec.code, 3);
    assert.equal(exec.stdout, 'out\n');
    assert.equal(exec.stderr.split('\n')[0], 'err');

    const follow = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'logs', '-f', 'tools'], t);
    await follow.waitFor(/^line 1\n/m, 30_000);
    const seenAt = follow.output().split('\n').filter((l) => l.startsWith('line')).length;
    await follow.waitFor(new RegExp(`^line ${seenAt + 3}$`, 'm'), 30_000);
    follow.child.kill('SIGTERM');

    const local = join(k.scratch, 'to-pod.txt');
    writeFileSync(local, 'copied into the pod\n');
    let r = await k.kubectl(['cp', local, 'tools:/tmp/in.txt']);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['exec', 'tools', '--', 'cat', '/tmp/in.txt']);
    assert.equal(r.stdout, 'copied into the pod\n');
    r = await k.kubectl(['cp', 'tools:/www/index.html', join(k.scratch, 'from-pod.html')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(k.scratch, 'from-pod.html'), 'utf8'), 'served\n');

    const forward = spawnCollect('kubectl', ['--kubeconfig', k.kubeconfigPath, 'port-forward', 'pod/tools', ':8080'], t);
    await forward.waitFor(/Forwarding from 127\.0\.0\.1:\d+ -> 8080/, 30_000);
    const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(forward.output())![1];
    const body = await eventually(async () => {
      const res = await run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/index.html`]);
      return res.code === 0 && res.stdout;
    }, 30_000, 250);
    assert.equal(body, 'served\n');
    forward.child.kill('SIGTERM');
  });
});
