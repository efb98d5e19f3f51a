// Every supported kubectl (1.27 … 1.33, run directly, not through the dispatcher) against one
// k8ts: the everyday commands, each version in its own namespace, all versions at once.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import type { KubeObject } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { testCluster, eventually, type TestCluster, type KubectlResult } from '../helpers/cluster.js';
import { kubectlVersionsEnv } from '../helpers/cli.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'] as const;
const NODE = 'matrix-node';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const NS = ApiClient.resourceOf('v1', 'Namespace');
const NODES = ApiClient.resourceOf('v1', 'Node');

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
`;

const pod = (name: string, labels: Record<string, string>) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
${Object.entries(labels)
  .map(([k, v]) => `    ${k}: ${v}`)
  .join('\n')}
spec:
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
`;

const minor = (v: string) => Number(v.split('.')[1]);
const lines = (r: KubectlResult) => r.stdout.trim().split('\n');

describe('kubectl version matrix', { concurrency: true }, () => {
  let k: TestCluster;
  let dir: string;
  const cleanups: (() => unknown)[] = [];
  const env = kubectlVersionsEnv();

  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { store: 'memory' });
    dir = mkdtempSync(join(tmpdir(), 'k8ts-matrix-'));
    cleanups.push(() => safeRemoveSync(dir, { unmount: true }));
    // A node nothing is scheduled to: pods stay Pending and are deleted at once.
    await k.client.create(NODES, '', {
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
      spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] },
    });
    await k.client.request('PATCH', `/api/v1/nodes/${NODE}/status`, {
      contentType: 'application/merge-patch+json',
      body: {
        status: {
          conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
          nodeInfo: { kubeletVersion: 'v1.33.1', kubeProxyVersion: '', osImage: 'k8ts', kernelVersion: '6.0', containerRuntimeVersion: 'process://1', operatingSystem: 'linux', architecture: 'amd64', machineID: '', systemUUID: '', bootID: '' },
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }],
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        },
      },
    });
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  for (const version of VERSIONS) {
    test(`kubectl ${version}`, async (t) => {
      const ns = `m${version.replace('.', '')}`;
      const kc = (args: string[], stdin?: string) => k.kubectl([...args, '-n', ns], { version, env, ...(stdin !== undefined ? { stdin } : {}) });
      const ok = async (args: string[], stdin?: string) => {
        const r = await kc(args, stdin);
        assert.equal(r.code, 0, `kubectl ${version} ${args.join(' ')}:\n${r.stderr}`);
        return r;
      };
      const file = (name: string, text: string) => {
        const path = join(dir, `${ns}-${name}`);
        writeFileSync(path, text);
        return path;
      };
      await k.client.create(NS, '', { metadata: { name: ns } });

      await t.test('version', async () => {
        const r = await k.kubectl(['version', '-o', 'json'], { version, env });
        assert.equal(r.code, 0, r.stderr);
        const v = JSON.parse(r.stdout);
        assert.equal(v.clientVersion.minor, String(minor(version)));
        assert.equal(v.serverVersion.minor, '33');
        assert.match(v.serverVersion.gitVersion, /^v1\.33\./);
        if (minor(version) < 32) assert.match(r.stderr, /version difference between client \(1\.\d+\) and server \(1\.33\) exceeds the supported minor version skew of \+\/-1/);
        else assert.equal(r.stderr, '');
      });

      await t.test('api-resources', async () => {
        const r = await ok(['api-resources', '--no-headers']);
        assert.match(r.stdout, /^pods\s+po\s+v1\s+true\s+Pod$/m);
        assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
        assert.match(r.stdout, /^events\s+ev\s+v1\s+true\s+Event$/m);
      });

      await t.test('apply: created, unchanged, configured; validated through the OpenAPI the version reads', async () => {
        const path = file('deploy.yaml', deployment('nginx:1.25'));
        let r = await ok(['apply', '-f', path, '-v=6']);
        assert.equal(r.stdout, 'deployment.apps/web created\n');
        // 1.27 and 1.28 validate client-side with the protobuf /openapi/v2; later ones ask /openapi/v3 only.
        // (1.33 logs requests as structured key=value pairs.)
        const fetched = (doc: string) => new RegExp(`GET"? (url=")?https://[^ ]+/openapi/${doc}\\?timeout=32s"? (status=")?200 OK`);
        if (minor(version) <= 28) {
          assert.match(r.stderr, fetched('v2'));
        } else {
          assert.match(r.stderr, fetched('v3'));
          assert.doesNotMatch(r.stderr, fetched('v2'));
        }
        r = await ok(['apply', '-f', path]);
        assert.equal(r.stdout, 'deployment.apps/web unchanged\n');
        writeFileSync(path, deployment('nginx:1.26'));
        r = await ok(['apply', '-f', path]);
        assert.equal(r.stdout, 'deployment.apps/web configured\n');
        r = await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}']);
        assert.equal(r.stdout, 'nginx:1.26 2');
      });

      await t.test('create -f', async () => {
        const r = await ok(['create', '-f', file('pods.yaml', `${pod('alpha', { app: 'alpha', tier: 'back' })}---\n${pod('beta', { app: 'beta', tier: 'front' })}`)]);
        assert.equal(r.stdout, 'pod/alpha created\npod/beta created\n');
      });

      await t.test('get: wide, yaml, json, jsonpath, name, -A, --show-labels, -L, --sort-by', async () => {
        let r = await ok(['get', 'pods', 'alpha', 'beta', '-o', 'wide']);
        assert.match(lines(r)[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
        assert.match(r.stdout, /^alpha\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>$/m);
        r = await ok(['get', 'pod', 'alpha', '-o', 'yaml']);
        assert.match(r.stdout, /^apiVersion: v1\nkind: Pod\nmetadata:\n/);
        assert.match(r.stdout, /^  namespace: m\d+$/m);
        assert.doesNotMatch(r.stdout, /managedFields/);
        r = await ok(['get', 'pods', '-o', 'json']);
        const list = JSON.parse(r.stdout);
        assert.equal(list.kind, 'List');
        assert.deepEqual(list.items.map((i: KubeObject) => `${i.apiVersion} ${i.kind} ${i.metadata.name}`).filter((x: string) => / (alpha|beta)$/.test(x)), ['v1 Pod alpha', 'v1 Pod beta']);
        r = await ok(['get', 'pods', '-l', 'tier', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.tier};{end}']);
        assert.equal(r.stdout, 'alpha=back;beta=front;');
        r = await ok(['get', 'pods', '-l', 'tier', '-o', 'name']);
        assert.equal(r.stdout, 'pod/alpha\npod/beta\n');
        r = await k.kubectl(['get', 'pods', '-A', '-l', 'tier'], { version, env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(lines(r)[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
        for (const v of VERSIONS) {
          // Other versions' pods may or may not exist yet; this version's must be listed with their namespace.
          if (v === version) assert.match(r.stdout, new RegExp(`^${ns}\\s+alpha\\s+0/1\\s+Pending`, 'm'));
        }
        r = await ok(['get', 'pods', '-l', 'tier', '--show-labels']);
        assert.match(lines(r)[0]!, /\s+LABELS$/);
        assert.match(r.stdout, /^alpha\s+.*\s+app=alpha,tier=back$/m);
        r = await ok(['get', 'pods', '-l', 'tier', '-L', 'tier', '-L', 'app']);
        assert.match(lines(r)[0]!, /\s+AGE\s+TIER\s+APP$/);
        assert.match(r.stdout, /^beta\s+.*\s+front\s+beta$/m);
        r = await ok(['get', 'pods', '-l', 'tier', '--sort-by=.metadata.labels.tier', '-o', 'custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier', '--no-headers']);
        assert.deepEqual(lines(r).map((l) => l.split(/\s+/)), [['alpha', 'back'], ['beta', 'front']]);
        r = await ok(['get', 'pods', '-l', 'tier', '--sort-by={.metadata.labels.app}', '-o', 'name']);
        assert.equal(r.stdout, 'pod/alpha\npod/beta\n');
      });

      await t.test('get all', async () => {
        const r = await ok(['get', 'all']);
        assert.match(r.stdout, /^pod\/alpha\s+0\/1\s+Pending\s+0\s+\d+s$/m);
        assert.match(r.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
        assert.match(r.stdout, /^deployment\.apps\/web\s+\d\/1\s+\d\s+\d\s+\d+s$/m);
      });

      await t.test('describe pod, node, deployment, with events', async () => {
        const alpha = await k.client.get(PODS, ns, 'alpha');
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        await k.client.create(EVENTS, ns, {
          metadata: { name: 'alpha.matrix' },
          involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: ns, name: 'alpha', uid: alpha.metadata.uid },
          reason: 'Matrix',
          message: `seen by kubectl ${version}`,
          type: 'Warning',
          source: { component: 'matrix-test' },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        });
        let r = await ok(['describe', 'pod', 'alpha']);
        assert.match(r.stdout, /^Name:\s+alpha$/m);
        assert.match(r.stdout, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
        assert.match(r.stdout, /^Status:\s+Pending$/m);
        assert.match(r.stdout, /^Labels:\s+app=alpha\n\s+tier=back$/m);
        assert.match(r.stdout, /^QoS Class:\s+BestEffort$/m);
        assert.match(r.stdout, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----\s+------\s+----\s+----\s+-------\n/m);
        assert.match(r.stdout, new RegExp(`^\\s+Warning\\s+Matrix\\s+\\S+\\s+matrix-test\\s+seen by kubectl ${version.replace('.', '\\.')}$`, 'm'));
        r = await ok(['describe', 'node', NODE]);
        assert.match(r.stdout, new RegExp(`^Name:\\s+${NODE}$`, 'm'));
        assert.match(r.stdout, /^Unschedulable:\s+true$/m);
        assert.match(r.stdout, /^Taints:\s+node\.kubernetes\.io\/unschedulable:NoSchedule$/m);
        assert.match(r.stdout, /^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
        r = await ok(['describe', 'deployment', 'web']);
        assert.match(r.stdout, /^Name:\s+web$/m);
        assert.match(r.stdout, /^Selector:\s+app=web$/m);
        assert.match(r.stdout, /^StrategyType:\s+RollingUpdate$/m);
        assert.match(r.stdout, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
        assert.match(r.stdout, /^\s+Image:\s+nginx:1\.26$/m);
      });

      await t.test('events', async () => {
        const r = await ok(['events']);
        assert.match(lines(r)[0]!, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
        assert.match(r.stdout, new RegExp(`^\\S+\\s+Warning\\s+Matrix\\s+Pod/alpha\\s+seen by kubectl ${version.replace('.', '\\.')}$`, 'm'));
        const warnings = await ok(['events', '--types=Normal', '--for', 'pod/alpha']);
        assert.doesNotMatch(warnings.stdout, /Matrix/);
      });

      await t.test('label, annotate, patch (strategic, merge, json)', async () => {
        let r = await ok(['label', 'pod', 'alpha', 'stage=one']);
        assert.equal(r.stdout, 'pod/alpha labeled\n');
        r = await ok(['label', 'pod', 'alpha', 'stage=two', '--overwrite']);
        assert.equal(r.stdout, 'pod/alpha labeled\n');
        r = await ok(['annotate', 'pod', 'alpha', 'note=hi']);
        // kubectl 1.27 itself prints "annotate" here.
        assert.equal(r.stdout, version === '1.27' ? 'pod/alpha annotate\n' : 'pod/alpha annotated\n');
        r = await ok(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"smp"}]}]}}}}']);
        assert.equal(r.stdout, 'deployment.apps/web patched\n');
        r = await ok(['patch', 'pod', 'alpha', '--type=merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
        assert.equal(r.stdout, 'pod/alpha patched\n');
        r = await ok(['patch', 'pod', 'alpha', '--type=json', '-p', '[{"op":"remove","path":"/metadata/labels/merged"},{"op":"add","path":"/metadata/labels/json","value":"yes"}]']);
        assert.equal(r.stdout, 'pod/alpha patched\n');
        r = await ok(['patch', 'pod', 'alpha', '--type=merge', '-p', '{"metadata":{"labels":{"json":"yes"}}}']);
        assert.equal(r.stdout, 'pod/alpha patched (no change)\n');
        r = await ok(['label', 'pod', 'alpha', 'stage-']);
        assert.equal(r.stdout, 'pod/alpha unlabeled\n');
        r = await ok(['get', 'pod', 'alpha', '-o', 'jsonpath={.metadata.labels} {.metadata.annotations.note}']);
        assert.equal(r.stdout, '{"app":"alpha","json":"yes","tier":"back"} hi');
        r = await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].env[0].value} {.spec.template.spec.containers[0].image}']);
        assert.equal(r.stdout, 'smp nginx:1.26');
      });

      await t.test('replace and scale', async () => {
        await ok(['create', 'configmap', 'settings', '--from-literal=mode=fast']);
        let r = await ok(['get', 'configmap', 'settings', '-o', 'yaml']);
        r = await ok(['replace', '-f', '-'], r.stdout.replace('mode: fast', 'mode: slow'));
        assert.equal(r.stdout, 'configmap/settings replaced\n');
        r = await ok(['get', 'configmap', 'settings', '-o', 'jsonpath={.data.mode}']);
        assert.equal(r.stdout, 'slow');
        r = await ok(['scale', 'deployment', 'web', '--replicas=3']);
        assert.equal(r.stdout, 'deployment.apps/web scaled\n');
        r = await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']);
        assert.equal(r.stdout, '3');
      });

      await t.test('explain pod.spec.containers', async () => {
        const r = await ok(['explain', 'pod.spec.containers']);
        assert.match(r.stdout, /^KIND:\s+Pod$/m);
        assert.match(r.stdout, /^VERSION:\s+v1$/m);
        assert.match(r.stdout, /^\s+image\s+<string>$/m);
        assert.match(r.stdout, /^\s+name\s+<string>( -required-)?$/m);
      });

      await t.test('wait --for=condition=Ready and --for=delete', async () => {
        const waiting = kc(['wait', '--for=condition=Ready', 'pod/beta', '--timeout=60s']);
        await eventually(async () => {
          // The pod's Ready condition, as a kubelet would report it.
          await k.client.request('PATCH', `/api/v1/namespaces/${ns}/pods/beta/status`, {
            contentType: 'application/merge-patch+json',
            body: { status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } },
          });
          return true;
        });
        let r = await waiting;
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'pod/beta condition met\n');
        const gone = kc(['wait', '--for=delete', 'pod/beta', '--timeout=60s']);
        await k.client.delete(PODS, ns, 'beta');
        r = await gone;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^(pod\/beta condition met\n)?$/);
        r = await kc(['wait', '--for=delete', 'pod/beta', '--timeout=5s']);
        assert.equal(r.code, 0, r.stderr);
      });

      await t.test('delete: --grace-period, --force, --now, --wait, -l, --all', async () => {
        await ok(['create', '-f', file('more.yaml', ['g1', 'g2', 'g3', 'l1', 'l2'].map((n) => pod(n, { app: n, group: n[0]! })).join('---\n'))]);
        let r = await ok(['delete', 'pod', 'g1', '--grace-period=5']);
        assert.equal(r.stdout, 'pod "g1" deleted\n');
        r = await ok(['delete', 'pod', 'g2', '--force']);
        assert.equal(r.stdout, 'pod "g2" force deleted\n');
        assert.equal(r.stderr, 'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
        r = await ok(['delete', 'pod', 'g3', '--now', '--wait']);
        assert.equal(r.stdout, 'pod "g3" deleted\n');
        r = await ok(['delete', 'pods', '-l', 'group=l']);
        assert.deepEqual(lines(r).sort(), ['pod "l1" deleted', 'pod "l2" deleted']);
        r = await ok(['delete', 'configmap', '--all']);
        assert.match(r.stdout, /^configmap "settings" deleted$/m);
        r = await ok(['delete', 'pod', 'g1', '--ignore-not-found']);
        assert.equal(r.stdout, '');
        r = await kc(['delete', 'pod', 'g1']);
        assert.equal(r.code, 1);
        assert.equal(r.stderr, 'Error from server (NotFound): pods "g1" not found\n');
        r = await ok(['get', 'pods', '-o', 'name']);
        assert.doesNotMatch(r.stdout, /pod\/(g\d|l\d|beta)$/m);
      });
    });
  }
});
