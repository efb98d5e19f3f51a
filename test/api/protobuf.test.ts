import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import protobuf from 'protobufjs/minimal.js';
import { isApiError } from '../../src/api/errors.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../../src/api/protobuf/index.js';
import type { KubeObject } from '../../src/api/types.js';

const fixtures = new URL('../../../test/fixtures/protobuf/', import.meta.url);
const MAGIC = Buffer.from('k8s\0', 'latin1');

/**
 * Each captured body sits next to the JSON Kubernetes writes for the same object (kubectl's
 * `--dry-run=client -o json` where kubectl has it). Go's JSON writes `null` for the zero time and
 * for nil lists without omitempty; the decoder leaves those out.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/** A body the way Kubernetes writes one: envelope fields, then `raw` built by `write`. */
function body(apiVersion: string, kind: string, write: (w: protobuf.Writer) => void, extra?: (w: protobuf.Writer) => void): Buffer {
  const raw = protobuf.Writer.create();
  write(raw);
  const w = protobuf.Writer.create();
  w.uint32(0x0a).fork().uint32(0x0a).string(apiVersion).uint32(0x12).string(kind).ldelim();
  w.uint32(0x12).bytes(raw.finish());
  extra?.(w);
  return Buffer.concat([MAGIC, w.finish()]);
}

const field = (number: number, wire: number) => (number << 3) | wire;

function rejects(bytes: Buffer, code: number, message: RegExp): void {
  assert.throws(
    () => decodeKubernetesProtobuf(bytes),
    (err: unknown) => isApiError(err) && err.code === code && message.test(err.message),
  );
}

describe('bodies captured from kubectl 1.32 (create, create token, drain)', () => {
  const names = readdirSync(fixtures).filter((f) => f.endsWith('.pb'));
  test('there are captured bodies to check', () => assert.ok(names.length >= 10));
  for (const name of names) {
    test(name, () => {
      const got = decodeKubernetesProtobuf(readFileSync(new URL(name, fixtures)));
      const want = JSON.parse(readFileSync(new URL(name.replace(/\.pb$/, '.json'), fixtures), 'utf8'));
      // Same keys in the same order as Kubernetes' JSON.
      assert.equal(JSON.stringify(got), JSON.stringify(withoutNulls(want)));
    });
  }

  test('a Deployment keeps replicas: 0 and its empty strategy and status', () => {
    const d = decodeKubernetesProtobuf(readFileSync(new URL('deployment-api.pb', fixtures)));
    const spec = d.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 0);
    assert.deepEqual(spec.strategy, {});
    assert.deepEqual(d.status, {});
    assert.deepEqual(d.metadata, { name: 'api', labels: { app: 'api' } });
  });

  test('Secret data stays base64, as in JSON', () => {
    const s = decodeKubernetesProtobuf(readFileSync(new URL('secret-generic.pb', fixtures)));
    assert.equal(Buffer.from((s.data as Record<string, string>).password!, 'base64').toString(), 's3cr3t');
  });
});

const pod: KubeObject = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: 'u-1',
    generation: 3,
    creationTimestamp: '2025-06-01T12:00:00Z',
    deletionTimestamp: '2025-06-01T12:05:00Z',
    deletionGracePeriodSeconds: 0,
    labels: { app: 'web', empty: '' },
    annotations: { note: 'x' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-0', controller: true, blockOwnerDeletion: false }],
    finalizers: ['example.com/f'],
    managedFields: [
      { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2025-06-01T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } },
    ],
  },
  spec: {
    volumes: [
      { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 0 }], defaultMode: 420, optional: false } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
      {
        name: 'token',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
          defaultMode: 420,
        },
      },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
    ],
    initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always', resources: {} }],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        command: ['nginx'],
        args: ['-g', ''],
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 0 }],
        env: [
          { name: 'A', value: '1' },
          { name: 'EMPTY' },
          { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw', optional: true } } },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: '' }] }, periodSeconds: 5, failureThreshold: 3 },
        readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 1 },
        startupProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 0 },
        lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['sh', '-c', 'echo'] } } },
        securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        stdin: true,
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 0,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    automountServiceAccountToken: false,
    securityContext: { fsGroup: 2000, supplementalGroups: [1, 2, 3], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
        },
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } } },
        ],
      },
    },
    tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
    hostAliases: [{ ip: '127.0.0.1', hostnames: ['local'] }],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] } }],
    readinessGates: [{ conditionType: 'example.com/ready' }],
    schedulingGates: [{ name: 'wait' }],
    overhead: { cpu: '10m' },
    os: { name: 'linux' },
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-06-01T12:01:00Z' }],
    podIPs: [{ ip: '10.244.0.7' }],
    startTime: '2025-06-01T12:00:01Z',
    containerStatuses: [
      {
        name: 'web',
        state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2025-06-01T12:02:00Z' } },
        ready: false,
        restartCount: 0,
        image: 'nginx:1.27',
        imageID: '',
        started: false,
      },
    ],
    qosClass: 'Burstable',
  },
};

describe('encode then decode', () => {
  test('a Pod using most of PodSpec comes back as it went in', () => {
    assert.deepEqual(decodeKubernetesProtobuf(encodeKubernetesProtobuf(pod)), pod);
  });

  test('workload kinds come back as they went in', () => {
    const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'a' }] } };
    const objects: KubeObject[] = [
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'd' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'a' } },
          template,
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
        status: { observedGeneration: 2, replicas: 1, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2025-06-01T00:00:00Z', reason: 'MinimumReplicasAvailable' }] },
      },
      { kind: 'ReplicaSet', apiVersion: 'apps/v1', metadata: { name: 'r' }, spec: { replicas: 2, selector: { matchLabels: { app: 'a' } }, template }, status: { replicas: 0 } },
      {
        kind: 'DaemonSet',
        apiVersion: 'apps/v1',
        metadata: { name: 'ds' },
        spec: { selector: { matchLabels: { app: 'a' } }, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
        status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
      },
      {
        kind: 'Job',
        apiVersion: 'batch/v1',
        metadata: { name: 'j' },
        spec: { parallelism: 0, completions: 1, backoffLimit: 6, suspend: false, template, podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] } },
        status: { startTime: '2025-06-01T00:00:00Z', succeeded: 1, uncountedTerminatedPods: {} },
      },
      {
        kind: 'CronJob',
        apiVersion: 'batch/v1',
        metadata: { name: 'cj' },
        spec: { schedule: '@hourly', timeZone: 'Etc/UTC', suspend: true, jobTemplate: { metadata: {}, spec: { template } }, successfulJobsHistoryLimit: 0 },
        status: { lastScheduleTime: '2025-06-01T11:00:00Z' },
      },
      { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', metadata: { name: 'p' }, spec: { minAvailable: 0 }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } },
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' }, immutable: false, data: { a: '' }, binaryData: { b: Buffer.from([0, 1, 255]).toString('base64') } },
      { kind: 'Service', apiVersion: 'v1', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http' }], type: 'ClusterIP', ipFamilyPolicy: 'SingleStack', allocateLoadBalancerNodePorts: false }, status: { loadBalancer: {} } },
      { kind: 'Endpoints', apiVersion: 'v1', metadata: { name: 's' }, subsets: [{ addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'p' } }], ports: [{ port: 0 }] }] },
    ];
    for (const o of objects) assert.deepEqual(decodeKubernetesProtobuf(encodeKubernetesProtobuf(o)), o, `${o.kind}`);
  });

  test('an object without a protobuf schema cannot be encoded', () => {
    assert.throws(
      () => encodeKubernetesProtobuf({ kind: 'Node', apiVersion: 'v1', metadata: { name: 'n' } }),
      (err: unknown) => isApiError(err, 'NotAcceptable'),
    );
  });
});

describe('what Kubernetes writes that JSON omits', () => {
  test('empty non-pointer scalars are dropped, zero pointers kept, zero times left out', () => {
    const bytes = body('apps/v1', 'Deployment', (w) => {
      w.uint32(field(1, 2)).fork();
      w.uint32(field(1, 2)).string('d').uint32(field(2, 2)).string('').uint32(field(7, 0)).int64(0);
      w.uint32(field(8, 2)).fork().ldelim(); // creationTimestamp: the zero time
      w.uint32(field(9, 2)).fork().uint32(field(1, 0)).int64(1748779200).ldelim(); // deletionTimestamp
      w.ldelim();
      w.uint32(field(2, 2)).fork();
      w.uint32(field(1, 0)).int32(0); // replicas, a pointer
      w.uint32(field(5, 0)).int32(0).uint32(field(7, 0)).bool(false); // minReadySeconds, paused
      w.uint32(field(4, 2)).fork().uint32(field(1, 2)).string('').ldelim(); // strategy {type: ""}
      w.ldelim();
    });
    assert.deepEqual(decodeKubernetesProtobuf(bytes), {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'd', deletionTimestamp: '2025-06-01T12:00:00Z' },
      spec: { replicas: 0, strategy: {} },
    });
  });

  test('MicroTime keeps microseconds; IntOrString zero drops unless it is a pointer', () => {
    const bytes = body('v1', 'Service', (w) => {
      w.uint32(field(1, 2)).fork().ldelim();
      w.uint32(field(2, 2)).fork();
      w.uint32(field(1, 2)).fork().uint32(field(3, 0)).int32(80).uint32(field(4, 2)).fork().uint32(field(1, 0)).int64(0).uint32(field(2, 0)).int32(0).uint32(field(3, 2)).string('').ldelim().ldelim();
      w.ldelim();
    });
    assert.deepEqual(decodeKubernetesProtobuf(bytes).spec, { ports: [{ port: 80 }] });
    const pdb = body('policy/v1', 'PodDisruptionBudget', (w) => {
      w.uint32(field(2, 2)).fork().uint32(field(1, 2)).fork().uint32(field(1, 0)).int64(0).uint32(field(2, 0)).int32(0).ldelim().ldelim();
    });
    assert.deepEqual(decodeKubernetesProtobuf(pdb), { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', spec: { minAvailable: 0 }, metadata: {} });
  });

  test('repeated numbers are read packed and unpacked', () => {
    const bytes = body('v1', 'Pod', (w) => {
      w.uint32(field(2, 2)).fork();
      w.uint32(field(14, 2)).fork();
      w.uint32(field(4, 0)).int64(1).uint32(field(4, 0)).int64(2); // unpacked
      w.uint32(field(4, 2)).fork().int64(3).int64(4).ldelim(); // packed
      w.ldelim();
      w.ldelim();
    });
    assert.deepEqual((decodeKubernetesProtobuf(bytes).spec as { securityContext: unknown }).securityContext, { supplementalGroups: [1, 2, 3, 4] });
  });

  test('unknown fields are skipped, at every level', () => {
    const bytes = body(
      'v1',
      'Namespace',
      (w) => {
        w.uint32(field(99, 0)).int32(7);
        w.uint32(field(1, 2)).fork().uint32(field(1, 2)).string('team').uint32(field(50, 2)).string('future').ldelim();
        w.uint32(field(98, 1)).double(1.5);
      },
      (w) => w.uint32(field(9, 0)).int32(1),
    );
    assert.deepEqual(decodeKubernetesProtobuf(bytes), { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team' } });
  });
});

describe('bad bodies', () => {
  test('without the magic prefix', () => {
    rejects(Buffer.from('{"kind":"Namespace"}'), 400, /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/);
    rejects(Buffer.from('k8s'), 400, /expected prefix/);
  });

  test('a truncated body', () => {
    const whole = readFileSync(new URL('deployment-web.pb', fixtures));
    rejects(whole.subarray(0, whole.length - 20), 400, /unexpected EOF/);
  });

  test('a field with the wrong wire type', () => {
    const bytes = body('v1', 'Namespace', (w) => w.uint32(field(1, 0)).int32(5));
    rejects(bytes, 400, /unable to decode Namespace from protobuf: Namespace\.metadata: wrong wire type 0/);
  });

  test('field number zero', () => {
    rejects(body('v1', 'Namespace', (w) => w.uint32(0).int32(0)), 400, /illegal tag 0/);
  });

  test('a kind Kubernetes does not have', () => {
    rejects(body('apps/v1', 'Gizmo', () => {}), 400, /no kind "Gizmo" is registered for version "apps\/v1"/);
  });

  test('a served kind without a protobuf schema here is an unsupported media type', () => {
    rejects(body('v1', 'Node', () => {}), 415, /accepted media types include: application\/json, application\/yaml/);
  });

  test('an envelope without a kind, or with a content encoding', () => {
    const noKind = Buffer.concat([MAGIC, protobuf.Writer.create().uint32(0x0a).fork().uint32(0x0a).string('v1').ldelim().finish()]);
    rejects(noKind, 400, /Object 'Kind' is missing/);
    rejects(body('v1', 'Namespace', () => {}, (w) => w.uint32(0x1a).string('gzip')), 400, /content encoding "gzip"/);
    rejects(body('v1', 'Namespace', () => {}, (w) => w.uint32(0x22).string('application/json')), 400, /content type "application\/json"/);
  });

  test('FieldsV1 that is not JSON', () => {
    const bytes = body('v1', 'Namespace', (w) => {
      w.uint32(field(1, 2)).fork();
      w.uint32(field(17, 2)).fork().uint32(field(7, 2)).fork().uint32(field(1, 2)).bytes(Buffer.from('{nope')).ldelim().ldelim();
      w.ldelim();
    });
    rejects(bytes, 400, /FieldsV1 does not hold JSON/);
  });
});
