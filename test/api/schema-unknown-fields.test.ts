import { fileURLToPath } from 'node:url';
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  findDuplicateFields,
  findStrictProblems,
  findUnknownFields,
  goValue,
  strictDecodingError,
  strictPatchError,
  strictProblemText,
} from '../../src/api/schema/index.js';

const scenarios = fileURLToPath(new URL('../../../test/fixtures/scenarios/', import.meta.url));

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}', 'any/thing': 'x' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: true }],
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } },
            ],
          },
        },
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        securityContext: { runAsNonRoot: true, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
        initContainers: [{ name: 'sidecar', image: 'busybox', restartPolicy: 'Always' }],
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27',
            ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
            env: [
              { name: 'A', value: '1' },
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
            ],
            envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1, 'nvidia.com/gpu': 1 } },
            livenessProbe: { httpGet: { path: '/', port: 'http', httpHeaders: [{ name: 'X', value: 'y' }] } },
            readinessProbe: { grpc: { port: 9000 } },
            lifecycle: { preStop: { sleep: { seconds: 5 } } },
            securityContext: { capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [
          { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt' }] } },
          { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
          { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
          {
            name: 'proj',
            projected: {
              sources: [
                { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
                { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
              ],
            },
          },
          { name: 'pvc', persistentVolumeClaim: { claimName: 'c' } },
          { name: 'csi', csi: { driver: 'x.csi', volumeAttributes: { anything: 'goes' } } },
          { name: 'nfs', nfs: { server: 'n', path: '/' } },
          {
            name: 'eph',
            ephemeral: {
              volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
            },
          },
        ],
      },
    },
  },
};

describe('findUnknownFields', () => {
  test('every scenario manifest is known field by field', () => {
    const files = readdirSync(scenarios).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length > 0);
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(join(scenarios, file), 'utf8'))) {
        const obj = doc.toJSON() as { apiVersion: string; kind: string } | null;
        if (!obj) continue;
        assert.deepEqual(findUnknownFields(obj.apiVersion, obj.kind, obj), [], `${file} ${obj.kind}`);
      }
    }
  });

  test('a rich real-world Deployment has no unknown fields', () => {
    assert.deepEqual(findUnknownFields('apps/v1', 'Deployment', deployment), []);
  });

  test('typos are found with the paths of the strict decoder', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labelz: { a: 'b' } },
      spec: {
        bogus: true,
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'x', imagePullPolicyy: 'Always', ports: [{ containerport: 80 }] },
        ],
        volumes: [{ name: 'v', emptyDir: { size: '1Gi' } }],
      },
    };
    assert.deepEqual(findUnknownFields('v1', 'Pod', pod), [
      'metadata.labelz',
      'spec.bogus',
      'spec.containers[1].imagePullPolicyy',
      'spec.containers[1].ports[0].containerport',
      'spec.volumes[0].emptyDir.size',
    ]);
  });

  test('maps, int-or-string, quantities and open values accept anything of theirs', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { 'any.key': 'v', other: 'w' } };
    assert.deepEqual(findUnknownFields('v1', 'ConfigMap', cm), []);
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { whatever: 1 } } };
    assert.deepEqual(findUnknownFields('apps/v1', 'ControllerRevision', rev), []);
  });

  test('status, services, nodes, jobs and the other kinds are checked too', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 'http', nodeport: 1 }] } };
    assert.deepEqual(findUnknownFields('v1', 'Service', svc), ['spec.ports[0].nodeport']);
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [] } }, backofLimit: 1 } };
    assert.deepEqual(findUnknownFields('batch/v1', 'Job', job), ['spec.backofLimit']);
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { cpu: '4' }, nodeInfo: { kubeletVersion: 'v1.33.0', arch: 'x' } } };
    assert.deepEqual(findUnknownFields('v1', 'Node', node), ['status.nodeInfo.arch']);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { holderIdentity: 'n', renewTime: '2024-01-01T00:00:00.000000Z' } };
    assert.deepEqual(findUnknownFields('coordination.k8s.io/v1', 'Lease', lease), []);
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 3, replica: 2 } };
    assert.deepEqual(findUnknownFields('autoscaling/v1', 'Scale', scale), ['spec.replica']);
    const del = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagation: 'x' };
    assert.deepEqual(findUnknownFields('v1', 'DeleteOptions', del), ['propagation']);
  });

  test('repeated problems are reported once and an unknown kind has none', () => {
    const pod = { spec: { containers: [{ name: 'a', x: 1 }] }, extra: 1 };
    assert.deepEqual(findUnknownFields('v1', 'Pod', { ...pod, extra: 2 }), ['spec.containers[0].x', 'extra']);
    assert.deepEqual(findUnknownFields('example.com/v1', 'Widget', { bogus: 1 }), []);
  });

  test('strictProblemText words paths and problems as the decoder does', () => {
    assert.equal(strictProblemText('spec.bogus'), 'unknown field "spec.bogus"');
    assert.equal(strictProblemText({ type: 'duplicate', path: 'metadata.name' }), 'duplicate field "metadata.name"');
  });
});

describe('strict decoding errors', () => {
  test('create and update: 400 with the kind, the version and every problem', () => {
    const err = strictDecodingError('apps/v1', 'Deployment', ['spec.a', { type: 'duplicate', path: 'spec.b' }]);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(
      err.message,
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.a", duplicate field "spec.b"',
    );
    assert.equal(
      strictDecodingError('v1', 'Pod', ['spec.bogus']).message,
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus"',
    );
  });

  test('patch: 422 over the patch printed as a Go map', () => {
    const err = strictPatchError(goValue({ spec: { replicas: 3, bogus: 'x' } }), ['spec.bogus']);
    assert.equal(err.code, 422);
    assert.equal(
      err.message,
      ' "" is invalid: patch: Invalid value: "map[spec:map[bogus:x replicas:3]]": strict decoding error: unknown field "spec.bogus"',
    );
  });

  test('goValue prints floats and nulls as Go does', () => {
    assert.equal(goValue({ a: [1, 'x', null], b: 1000000, c: 0.5, d: 123456 }), 'map[a:[1 x <nil>] b:1e+06 c:0.5 d:123456]');
    assert.equal(goValue(0.00001), '1e-05');
  });
});

describe('findDuplicateFields', () => {
  test('reports repeated keys with their paths', () => {
    const text = '{"metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"x","image":"i","image":"j"}]},"spec":{}}';
    assert.deepEqual(findDuplicateFields(text), ['metadata.name', 'spec.containers[0].image', 'spec']);
  });

  test('escaped keys, nested arrays and clean bodies', () => {
    assert.deepEqual(findDuplicateFields('{"a\\"b":1,"a\\"b":2}'), ['a"b']);
    assert.deepEqual(findDuplicateFields(' { "a" : [ [ {"x":1} , {"x":2} ] ] , "b" : true } '), []);
    assert.deepEqual(findDuplicateFields(JSON.stringify(deployment)), []);
    assert.deepEqual(findDuplicateFields('{"a":1,"a":'), ['a']);
  });
});

describe('findStrictProblems', () => {
  test('unknown and duplicate fields of a JSON body, together in document order', () => {
    const text =
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b","labels":{"x":"1","x":"2"}},' +
      '"spec":{"bogus":1,"bogus":2,"containers":[{"name":"c","image":"i","image":"j","foo":{"a":1,"a":2}}]}}';
    assert.deepEqual(findStrictProblems('v1', 'Pod', text).map(strictProblemText), [
      'duplicate field "metadata.name"',
      'duplicate field "metadata.labels.x"',
      'unknown field "spec.bogus"',
      'duplicate field "spec.containers[0].image"',
      'unknown field "spec.containers[0].foo"',
    ]);
  });

  test('agrees with findUnknownFields on a clean and on a typo-ridden body', () => {
    assert.deepEqual(findStrictProblems('apps/v1', 'Deployment', JSON.stringify(deployment)), []);
    const typo = { ...deployment, spec: { ...deployment.spec, replica: 3 } };
    assert.deepEqual(
      findStrictProblems('apps/v1', 'Deployment', JSON.stringify(typo)),
      findUnknownFields('apps/v1', 'Deployment', typo).map((path) => ({ type: 'unknown', path })),
    );
  });

  test('opaque values are not looked into, and an unknown kind only gets duplicates', () => {
    const rev = '{"apiVersion":"apps/v1","kind":"ControllerRevision","revision":1,"data":{"a":1,"a":2,"zz":{}}}';
    assert.deepEqual(findStrictProblems('apps/v1', 'ControllerRevision', rev), []);
    assert.deepEqual(findStrictProblems('example.com/v1', 'Widget', '{"a":1,"a":2,"b":3}'), [{ type: 'duplicate', path: 'a' }]);
  });
});
