import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesFor } from '../../src/api/rules.js';
import { prepareJobForCreate } from '../../src/api/defaults/workloads.js';
import { generateName, GENERATED_SUFFIX_ALPHABET, randomSuffix } from '../../src/api/names.js';
import type { KubeObject, Pod } from '../../src/api/types.js';

function defaulted<T extends KubeObject = KubeObject>(obj: NoInfer<T>): T {
  rulesFor(obj.apiVersion!, obj.kind!).defaults(obj);
  return obj;
}

const template = (spec: Record<string, unknown>) => ({ metadata: { labels: { app: 'a' } }, spec });

describe('pod defaults', () => {
  test('a minimal pod gets every spec and container default', () => {
    const pod = defaulted<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ containerPort: 80 }] }] },
    });
    assert.deepEqual(pod.spec, {
      containers: [
        {
          name: 'c',
          image: 'busybox:1.36',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: {},
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    });
  });

  test('imagePullPolicy follows the tag', () => {
    const cases: [string, string][] = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['localhost:5000/team/app', 'Always'],
      ['registry.example.com:5000/app:v2', 'IfNotPresent'],
      ['nginx:1.25', 'IfNotPresent'],
      [`nginx@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
      [`nginx:latest@sha256:${'b'.repeat(64)}`, 'Always'],
      ['Not/Valid', 'IfNotPresent'],
      ['', 'IfNotPresent'],
    ];
    for (const [image, policy] of cases) {
      const pod = defaulted<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } });
      assert.equal(pod.spec.containers[0]!.imagePullPolicy, policy, image);
    }
  });

  test('probes, hooks, env, volumes and resources', () => {
    const pod = defaulted<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        hostNetwork: true,
        containers: [
          {
            name: 'c',
            image: 'x:1',
            ports: [{ containerPort: 8080 }],
            env: [
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
            ],
            resources: { limits: { cpu: 0.5, memory: '1024Mi' }, requests: { cpu: '100m' } },
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
            lifecycle: { preStop: { httpGet: { port: 'http', path: '/quit' } } },
          },
        ],
        initContainers: [{ name: 'i', image: 'x:1', resources: { limits: { memory: '64Mi' } } }],
        volumes: [
          { name: 'scratch' },
          { name: 'cm', configMap: { name: 'c' } },
          { name: 'sec', secret: { secretName: 's' } },
          { name: 'host', hostPath: { path: '/data' } },
          { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        ],
      },
    });
    const c = pod.spec.containers[0]!;
    assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP', hostPort: 8080 }]);
    assert.deepEqual(c.env?.[0]?.valueFrom, { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } });
    assert.deepEqual(c.env?.[1]?.valueFrom, { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } });
    assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } });
    assert.deepEqual(pod.spec.initContainers?.[0]?.resources, { limits: { memory: '64Mi' }, requests: { memory: '64Mi' } });
    assert.deepEqual(c.livenessProbe, {
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(c.readinessProbe, { grpc: { port: 9000, service: '' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(c.lifecycle?.preStop, { httpGet: { port: 'http', path: '/quit', scheme: 'HTTP' } });
    const vols = pod.spec.volumes!;
    assert.deepEqual(vols[0], { name: 'scratch', emptyDir: {} });
    assert.equal(vols[1]!.configMap?.defaultMode, 420);
    assert.equal(vols[2]!.secret?.defaultMode, 420);
    assert.deepEqual(vols[3]!.hostPath, { path: '/data', type: '' });
    assert.deepEqual(vols[4]!.downwardAPI, { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels', apiVersion: 'v1' } }], defaultMode: 420 });
    assert.deepEqual(vols[5]!.projected, { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }], defaultMode: 420 });
  });

  test('defaulting is idempotent and keeps explicit values', () => {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        restartPolicy: 'Never',
        dnsPolicy: 'Default',
        terminationGracePeriodSeconds: 0,
        enableServiceLinks: false,
        serviceAccount: 'legacy',
        containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' }],
      },
    };
    defaulted(pod);
    const once = structuredClone(pod);
    defaulted(pod);
    assert.deepEqual(pod, once);
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.equal(pod.spec.dnsPolicy, 'Default');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
    assert.equal(pod.spec.enableServiceLinks, false);
    assert.equal(pod.spec.serviceAccountName, 'legacy');
    assert.equal(pod.spec.containers[0]!.imagePullPolicy, 'Never');
    assert.equal(pod.spec.containers[0]!.terminationMessagePolicy, 'FallbackToLogsOnError');
  });

  test('prepareForCreate sets phase, QoS class and generation', () => {
    const pod = defaulted<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
      status: { phase: 'Running' },
    });
    rulesFor('v1', 'Pod').prepareForCreate(pod);
    assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'Guaranteed' });
    assert.equal(pod.metadata.generation, 1);
  });
});

describe('workload defaults', () => {
  test('Deployment', () => {
    const d = defaulted({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: template({ containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1' } } }] }) } });
    const spec = d.spec as Record<string, any>;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.equal(spec.template.spec.restartPolicy, 'Always');
    assert.equal(spec.template.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(spec.template.spec.enableServiceLinks, undefined, 'pod-only default');
    assert.deepEqual(spec.template.metadata, { labels: { app: 'a' }, creationTimestamp: null });
    assert.deepEqual(spec.template.spec.containers[0].resources, { limits: { cpu: '1' } }, 'requests are defaulted on pods only');
  });

  test('Recreate deployments get no rollingUpdate', () => {
    const d = defaulted({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'Recreate' }, replicas: 0 } });
    assert.deepEqual((d.spec as any).strategy, { type: 'Recreate' });
    assert.equal((d.spec as any).replicas, 0);
  });

  test('ReplicaSet and DaemonSet', () => {
    assert.equal((defaulted({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: {} }).spec as any).replicas, 1);
    const ds = defaulted({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: {} });
    assert.deepEqual(ds.spec, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
  });

  test('Job', () => {
    const job = defaulted({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: template({ containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Never' }) } });
    const spec = job.spec as Record<string, any>;
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(spec.completionMode, 'NonIndexed');
    assert.equal(spec.suspend, false);
    assert.equal(spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.equal(spec.manualSelector, undefined);
    assert.deepEqual(job.metadata.labels, { app: 'a' });
    const parallel = defaulted({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { parallelism: 3, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } } });
    const ps = parallel.spec as Record<string, any>;
    assert.equal(ps.completions, undefined);
    assert.equal(ps.podReplacementPolicy, 'Failed');
    assert.equal(ps.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  });

  test('prepareJobForCreate generates labels and selector', () => {
    const job = defaulted({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }], restartPolicy: 'Never' } } } });
    prepareJobForCreate(job, 'uid-1');
    const spec = job.spec as Record<string, any>;
    const expected = { 'batch.kubernetes.io/controller-uid': 'uid-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'uid-1', 'job-name': 'pi' };
    assert.deepEqual(spec.template.metadata.labels, expected);
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    assert.deepEqual(job.metadata.labels, expected);
    assert.equal(job.metadata.uid, 'uid-1');
    assert.deepEqual(rulesFor('batch/v1', 'Job').validate(job).map(String), []);
  });

  test('manualSelector jobs keep their selector', () => {
    const job: KubeObject = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'm' }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } } } };
    prepareJobForCreate(job, 'u');
    assert.deepEqual((job.spec as any).selector, { matchLabels: { a: 'b' } });
    assert.equal((job.spec as any).template, undefined);
  });

  test('CronJob', () => {
    const cj = defaulted({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '* * * * *', jobTemplate: { spec: {} } } });
    const spec = cj.spec as Record<string, any>;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.suspend, false);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    assert.equal(spec.jobTemplate.spec.backoffLimit, 6);
  });
});

describe('core defaults', () => {
  test('Service', () => {
    const svc = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } });
    assert.deepEqual(svc.spec, {
      selector: { app: 'a' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    const lb = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } });
    const spec = lb.spec as Record<string, any>;
    assert.equal(spec.externalTrafficPolicy, 'Cluster');
    assert.equal(spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual(spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    const ext = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    assert.deepEqual(ext.spec, { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' });
    const headless = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: 'None' } });
    assert.equal((headless.spec as any).ipFamilyPolicy, 'RequireDualStack');
    assert.deepEqual((headless.spec as any).clusterIPs, ['None']);
  });

  test('Namespace', () => {
    const rules = rulesFor('v1', 'Namespace');
    const ns = defaulted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { a: 'b' } } });
    rules.prepareForCreate(ns);
    assert.deepEqual(ns.metadata.labels, { a: 'b', 'kubernetes.io/metadata.name': 'team' });
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
  });

  test('Secret type and stringData', () => {
    const s = defaulted({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { user: 'admin' }, data: { a: 'YQ==' } });
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { a: 'YQ==', user: 'YWRtaW4=' });
    assert.equal(s.stringData, undefined);
  });

  test('Node allocatable from capacity; EndpointSlice and Endpoints ports', () => {
    const node = defaulted({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { cpu: '4', memory: '8192Mi' } } });
    assert.deepEqual(node.status, { capacity: { cpu: '4', memory: '8Gi' }, allocatable: { cpu: '4', memory: '8Gi' } });
    const slice = defaulted({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', ports: [{ port: 80 }] });
    assert.deepEqual(slice.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
    const ep = defaulted({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' }, subsets: [{ ports: [{ port: 80 }] }] });
    assert.deepEqual(ep.subsets, [{ ports: [{ port: 80, protocol: 'TCP' }] }]);
  });

  test('kinds without defaults are left alone', () => {
    for (const [apiVersion, kind] of [['v1', 'ConfigMap'], ['v1', 'ServiceAccount'], ['coordination.k8s.io/v1', 'Lease'], ['policy/v1', 'PodDisruptionBudget'], ['example.com/v1', 'Widget']]) {
      const obj = { apiVersion, kind, metadata: { name: 'x' }, spec: { a: 1 } };
      defaulted(obj);
      assert.deepEqual(obj, { apiVersion, kind, metadata: { name: 'x' }, spec: { a: 1 } });
    }
  });
});

describe('generateName', () => {
  test('appends five characters from the safe alphabet', () => {
    const name = generateName('web-');
    assert.match(name, new RegExp(`^web-[${GENERATED_SUFFIX_ALPHABET}]{5}$`));
    assert.match(randomSuffix(), new RegExp(`^[${GENERATED_SUFFIX_ALPHABET}]{5}$`));
  });
  test('cuts long prefixes to 58 characters', () => {
    const name = generateName('a'.repeat(70), () => 'bcdfg');
    assert.equal(name, 'a'.repeat(58) + 'bcdfg');
    assert.equal(name.length, 63);
  });
});

describe('registry strategy steps', () => {
  test('workloads start at generation 1 with empty status, and count spec changes', () => {
    const rules = rulesFor('apps/v1', 'Deployment');
    const d = defaulted({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 9 } });
    rules.prepareForCreate(d);
    assert.equal(d.metadata.generation, 1);
    assert.deepEqual(d.status, {});
    const stored: KubeObject = { ...structuredClone(d), status: { replicas: 1 } };
    const sameSpec: KubeObject = { ...structuredClone(stored), status: { replicas: 5 } };
    rules.prepareForUpdate(sameSpec, stored);
    assert.equal(sameSpec.metadata.generation, 1);
    assert.deepEqual(sameSpec.status, { replicas: 1 }, 'status is only written through /status');
    const scaled = structuredClone(stored);
    (scaled.spec as any).replicas = 3;
    rules.prepareForUpdate(scaled, stored);
    assert.equal(scaled.metadata.generation, 2);
    const statusWrite = structuredClone(stored);
    (statusWrite.spec as any).replicas = 7;
    statusWrite.status = { replicas: 2 };
    rules.prepareForStatusUpdate(statusWrite, stored);
    assert.deepEqual(statusWrite.spec, stored.spec);
    assert.deepEqual(statusWrite.status, { replicas: 2 });
  });

  test('pod status writes keep spec and owner references', () => {
    const rules = rulesFor('v1', 'Pod');
    const old = defaulted<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u' }] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const next = structuredClone(old);
    next.metadata.ownerReferences = [];
    next.spec.nodeName = 'elsewhere';
    next.status = { phase: 'Running' };
    rules.prepareForStatusUpdate(next, old);
    assert.deepEqual(next.spec, old.spec);
    assert.deepEqual(next.metadata.ownerReferences, old.metadata.ownerReferences);
    assert.deepEqual(next.status, { phase: 'Running' });
  });

  test('service updates keep allocated addresses and node ports', () => {
    const rules = rulesFor('v1', 'Service');
    const old = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, nodePort: 30080 }] } });
    const body = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', resourceVersion: '1' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 8080 }] } });
    rules.prepareForUpdate(body, old);
    const spec = body.spec as Record<string, any>;
    assert.equal(spec.clusterIP, '10.96.0.20');
    assert.deepEqual(spec.clusterIPs, ['10.96.0.20']);
    assert.equal(spec.ports[0].nodePort, 30080);
    const created = defaulted({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] }, status: { x: 1 } });
    rules.prepareForCreate(created);
    assert.deepEqual(created.status, { loadBalancer: {} });
  });

  test('namespace finalizers change only through /finalize', () => {
    const rules = rulesFor('v1', 'Namespace');
    const old = defaulted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    rules.prepareForCreate(old);
    const next = structuredClone(old);
    next.spec = { finalizers: [] };
    rules.prepareForUpdate(next, old);
    assert.deepEqual(next.spec, { finalizers: ['kubernetes'] });
  });
});
