// The real kubectl against a real k8ts: the commands of the foundation's acceptance list.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const pod = (name: string, image = 'busybox:1.28') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  containers:
  - name: main
    image: ${image}
    command: ["sh", "-c", "sleep 3600"]
`;

describe('kubectl against k8ts', () => {
  let k: TestCluster;
  let dir: string;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) });
    dir = mkdtempSync(join(tmpdir(), 'k8ts-manifests-'));
    cleanups.push(() => safeRemoveSync(dir, { unmount: true }));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('version reports v1.33 and the dispatcher picks kubectl 1.33', async () => {
    const r = await k.kubectl(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout);
    assert.equal(v.serverVersion.minor, '33');
    assert.match(v.clientVersion.gitVersion, /^v1\.33\./);
  });

  test('api-resources lists short names and kinds', async () => {
    const r = await k.kubectl(['api-resources', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(r.stdout, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  test('get namespaces shows the system namespaces', async () => {
    const r = await k.kubectl(['get', 'ns', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name,STATUS:.status.phase']);
    assert.equal(r.code, 0, r.stderr);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(r.stdout, new RegExp(`^${ns}\\s+Active$`, 'm'));
  });

  test('apply creates, configures and leaves unchanged', async () => {
    const file = join(dir, 'web.yaml');
    writeFileSync(file, pod('web'));
    let r = await k.kubectl(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'pod/web created');
    r = await k.kubectl(['apply', '-f', file]);
    assert.equal(r.stdout.trim(), 'pod/web unchanged');
    writeFileSync(file, pod('web', 'busybox:1.36'));
    r = await k.kubectl(['apply', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'pod/web configured');
    r = await k.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.spec.containers[0].image}']);
    assert.equal(r.stdout, 'busybox:1.36');
  });

  test('apply of a directory and of a multi-document file', async () => {
    const d = join(dir, 'many');
    mkdirSync(d);
    writeFileSync(join(d, 'a.yaml'), `${pod('multi-a')}---\n${pod('multi-b')}`);
    writeFileSync(join(d, 'c.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n`);
    const r = await k.kubectl(['apply', '-f', d]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['configmap/settings created', 'pod/multi-a created', 'pod/multi-b created']);
  });

  test('get pods as a table, wide, with labels', async () => {
    let r = await k.kubectl(['get', 'pods']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(r.stdout, /^web\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    r = await k.kubectl(['get', 'pods', '-o', 'wide']);
    assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    r = await k.kubectl(['get', 'pods', '--show-labels', '-l', 'app=web']);
    assert.match(r.stdout, /^web\s+.*app=web$/m);
    assert.doesNotMatch(r.stdout, /multi-a/);
    r = await k.kubectl(['get', 'pods', '-A']);
    assert.match(r.stdout, /^NAMESPACE\s+NAME\s+READY/m);
    assert.match(r.stdout, /^default\s+web\s+/m);
  });

  test('get -o name, json, yaml, jsonpath, sort-by, field selector', async () => {
    let r = await k.kubectl(['get', 'pods', '-o', 'name', '--sort-by=.metadata.name']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['pod/multi-a', 'pod/multi-b', 'pod/web']);
    r = await k.kubectl(['get', 'pod', 'web', '-o', 'json']);
    const obj = JSON.parse(r.stdout);
    assert.equal(obj.status.phase, 'Pending');
    assert.equal(obj.status.qosClass, 'BestEffort');
    assert.equal(obj.spec.restartPolicy, 'Always');
    assert.equal(obj.spec.serviceAccountName, 'default');
    r = await k.kubectl(['get', 'pods', '--field-selector', 'metadata.name=multi-b', '-o', 'name']);
    assert.equal(r.stdout.trim(), 'pod/multi-b');
    r = await k.kubectl(['get', 'pod', 'web', '-o', 'yaml']);
    assert.match(r.stdout, /^kind: Pod$/m);
  });

  test('create generators send protobuf and objects arrive intact', async () => {
    let r = await k.kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'deployment.apps/web created');
    r = await k.kubectl(['get', 'deploy', 'web', '-o', 'json']);
    const d = JSON.parse(r.stdout);
    assert.equal(d.spec.replicas, 2);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx');
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'web' });
    for (const args of [
      ['create', 'namespace', 'team-a'],
      ['create', 'configmap', 'cfg', '--from-literal=a=1'],
      ['create', 'secret', 'generic', 'token', '--from-literal=t=s3cr3t'],
      ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'],
      ['create', 'job', 'once', '--image=busybox'],
    ]) {
      r = await k.kubectl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    r = await k.kubectl(['get', 'secret', 'token', '-o', 'jsonpath={.data.t}']);
    assert.equal(Buffer.from(r.stdout, 'base64').toString(), 's3cr3t');
    r = await k.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(r.stdout, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  });

  test('label, annotate, patch of every type, scale', async () => {
    let r = await k.kubectl(['label', 'pod', 'web', 'tier=front']);
    assert.equal(r.stdout.trim(), 'pod/web labeled');
    r = await k.kubectl(['annotate', 'pod', 'web', 'note=hello']);
    assert.equal(r.stdout.trim(), 'pod/web annotated');
    r = await k.kubectl(['patch', 'pod', 'web', '-p', '{"metadata":{"labels":{"patched":"smp"}}}']);
    assert.equal(r.stdout.trim(), 'pod/web patched');
    r = await k.kubectl(['patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['patch', 'pod', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]']);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.metadata.labels}']);
    const labels = JSON.parse(r.stdout);
    assert.deepEqual({ tier: labels.tier, patched: labels.patched, merged: labels.merged, json: labels.json }, { tier: 'front', patched: 'smp', merged: 'yes', json: 'yes' });
    r = await k.kubectl(['scale', 'deployment', 'web', '--replicas=3']);
    assert.equal(r.stdout.trim(), 'deployment.apps/web scaled');
    r = await k.kubectl(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']);
    assert.equal(r.stdout, '3');
  });

  test('server-side apply: create, update, conflict, force', async () => {
    const file = join(dir, 'ssa.yaml');
    writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  key: one\n`);
    let r = await k.kubectl(['apply', '--server-side', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/ssa serverside-applied');
    r = await k.kubectl(['patch', 'configmap', 'ssa', '--type=merge', '-p', '{"data":{"key":"two"}}']);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['apply', '--server-side', '-f', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /conflict with "kubectl-patch"/);
    r = await k.kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.key}']);
    assert.equal(r.stdout, 'one');
  });

  test('replace and edit', async () => {
    let r = await k.kubectl(['get', 'cm', 'settings', '-o', 'yaml']);
    const replaced = r.stdout.replace('mode: fast', 'mode: slow');
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, replaced);
    r = await k.kubectl(['replace', '-f', file]);
    assert.equal(r.stdout.trim(), 'configmap/settings replaced');
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/mode: slow/mode: edited/" "$1"\n', { mode: 0o755 });
    r = await k.kubectl(['edit', 'cm', 'settings'], { env: { KUBE_EDITOR: editor } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'configmap/settings edited');
    r = await k.kubectl(['get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}']);
    assert.equal(r.stdout, 'edited');
  });

  test('explain pod.spec.containers', async () => {
    const r = await k.kubectl(['explain', 'pod.spec.containers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Pod$/m);
    assert.match(r.stdout, /^FIELD:\s+containers <\[\]Container>$/m);
    assert.match(r.stdout, /^\s+image\s+<string>$/m);
  });

  test('delete by name, by label, all; wait --for=delete', async () => {
    let r = await k.kubectl(['delete', 'pod', 'multi-a']);
    assert.equal(r.stdout.trim(), 'pod "multi-a" deleted');
    r = await k.kubectl(['delete', 'pods', '-l', 'app=multi-b']);
    assert.equal(r.stdout.trim(), 'pod "multi-b" deleted');
    r = await k.kubectl(['delete', 'cm', '--all']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap "settings" deleted/);
    r = await k.kubectl(['wait', '--for=delete', 'pod/multi-a', '--timeout=5s']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('bad input gets Kubernetes errors', async () => {
    let r = await k.kubectl(['get', 'pod', 'nope']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, pod('Bad_Name'));
    r = await k.kubectl(['apply', '-f', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/);
    writeFileSync(file, pod('unknown-field').replace('  containers:', '  bogus: 1\n  containers:'));
    r = await k.kubectl(['apply', '-f', file]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec.bogus"/);
    r = await k.kubectl(['create', 'ns', 'default']);
    assert.equal(r.stderr.trim(), 'Error from server (AlreadyExists): namespaces "default" already exists');
    r = await k.kubectl(['get', 'pods', '-n', 'missing-ns']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /No resources found in missing-ns namespace\./);
  });
});
