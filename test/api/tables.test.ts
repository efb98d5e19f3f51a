import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toTable } from '../../src/api/tables/index.js';
import type { KubeObject } from '../../src/api/types.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

function obj(fields: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'x', namespace: 'default', creationTimestamp: ago(300), ...metadata }, ...fields };
}

function row(apiVersion: string, kind: string, o: KubeObject): unknown[] {
  return toTable(apiVersion, kind, [o], { now: NOW, includeObject: 'None' }).rows[0]!.cells;
}

function columns(apiVersion: string, kind: string): string[] {
  return toTable(apiVersion, kind, [], { now: NOW, includeObject: 'None' }).columnDefinitions!.map((c) =>
    c.priority ? `${c.name}*` : c.name,
  );
}

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'web', image: 'nginx' },
      { name: 'log', image: 'busybox:1.36' },
    ],
  },
};

describe('workloads', () => {
  test('Deployment', () => {
    assert.deepEqual(columns('apps/v1', 'Deployment'), [
      'Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*',
    ]);
    const d = obj({
      spec: {
        replicas: 3,
        selector: { matchLabels: { tier: 'front', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['qa', 'dev'] }] },
        template,
      },
      status: { replicas: 3, updatedReplicas: 2, readyReplicas: 1, availableReplicas: 1 },
    });
    assert.deepEqual(row('apps/v1', 'Deployment', d), [
      'x', '1/3', 2, 1, '5m', 'web,log', 'nginx,busybox:1.36', 'app=web,env in (dev,qa),tier=front',
    ]);
  });

  test('Deployment scaled to zero, no status yet, invalid selector', () => {
    const d = obj({ spec: { replicas: 0, selector: { matchExpressions: [{ key: 'a', operator: 'Near' }] }, template } });
    assert.deepEqual(row('apps/v1', 'Deployment', d).slice(1, 4), ['0/0', 0, 0]);
    assert.equal(row('apps/v1', 'Deployment', d)[7], '<invalid>');
  });

  test('ReplicaSet', () => {
    assert.deepEqual(columns('apps/v1', 'ReplicaSet'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const rs = obj({
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, template },
      status: { replicas: 2, readyReplicas: 1 },
    });
    assert.deepEqual(row('apps/v1', 'ReplicaSet', rs), ['x', 2, 2, 1, '5m', 'web,log', 'nginx,busybox:1.36', 'app=web,!canary']);
    assert.equal(row('apps/v1', 'ReplicaSet', obj({ spec: { template } }))[7], '<none>');
  });

  test('DaemonSet', () => {
    assert.deepEqual(columns('apps/v1', 'DaemonSet'), [
      'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*',
    ]);
    const ds = obj({
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' }, containers: [{ name: 'a', image: 'agent:1' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    });
    assert.deepEqual(row('apps/v1', 'DaemonSet', ds), [
      'x', 3, 3, 2, 3, 2, 'disk=ssd,kubernetes.io/os=linux', '5m', 'a', 'agent:1', 'app=agent',
    ]);
    assert.equal(row('apps/v1', 'DaemonSet', obj({ spec: { template: { spec: { containers: [] } } } }))[6], '<none>');
  });

  test('ControllerRevision', () => {
    assert.deepEqual(columns('apps/v1', 'ControllerRevision'), ['Name', 'Controller', 'Revision', 'Age']);
    const cr = obj({ revision: 4 }, {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Pod', name: 'other', uid: '1' },
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: '2', controller: true },
      ],
    });
    assert.deepEqual(row('apps/v1', 'ControllerRevision', cr), ['x', 'daemonset.apps/agent', 4, '5m']);
    assert.equal(row('apps/v1', 'ControllerRevision', obj({ revision: 1 }))[1], '<none>');
  });

  test('Job status, completions and duration', () => {
    assert.deepEqual(columns('batch/v1', 'Job'), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const job = (spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
      row('batch/v1', 'Job', obj({ spec: { template, ...spec }, status }, meta));
    assert.deepEqual(
      job(
        { completions: 3, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
        { succeeded: 3, startTime: ago(200), completionTime: ago(75), conditions: [{ type: 'Complete', status: 'True' }] },
      ),
      ['x', 'Complete', '3/3', '2m5s', '5m', 'web,log', 'nginx,busybox:1.36', 'batch.kubernetes.io/controller-uid=u1'],
    );
    assert.deepEqual(job({ completions: 1 }, { startTime: ago(30) }).slice(1, 4), ['Running', '0/1', '30s']);
    assert.deepEqual(job({ parallelism: 4 }, {}).slice(1, 4), ['Running', '0/1 of 4', '']);
    assert.deepEqual(job({}, { succeeded: 1 }).slice(2, 3), ['1/1']);
    assert.equal(job({}, { conditions: [{ type: 'Failed', status: 'True' }] })[1], 'Failed');
    assert.equal(job({}, {}, { deletionTimestamp: ago(1) })[1], 'Terminating');
    assert.equal(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] })[1], 'Suspended');
    assert.equal(job({}, { conditions: [{ type: 'FailureTarget', status: 'True' }] })[1], 'FailureTarget');
    assert.equal(job({}, { conditions: [{ type: 'Complete', status: 'False' }] })[1], 'Running');
  });

  test('CronJob', () => {
    assert.deepEqual(columns('batch/v1', 'CronJob'), [
      'Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*',
    ]);
    const cj = obj({
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'x-1' }], lastScheduleTime: ago(65) },
    });
    assert.deepEqual(row('batch/v1', 'CronJob', cj), ['x', '*/5 * * * *', '<none>', 'False', 1, '65s', '5m', 'web,log', 'nginx,busybox:1.36', '<none>']);
    const tz = obj({ spec: { schedule: '@daily', timeZone: 'Europe/Paris', suspend: true, jobTemplate: {} }, status: {} });
    assert.deepEqual(row('batch/v1', 'CronJob', tz).slice(1, 6), ['@daily', 'Europe/Paris', 'True', 0, '<none>']);
    assert.equal(row('batch/v1', 'CronJob', obj({ spec: { schedule: '@daily' } }))[3], '<unset>');
  });

  test('PodDisruptionBudget', () => {
    assert.deepEqual(columns('policy/v1', 'PodDisruptionBudget'), ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']);
    assert.deepEqual(row('policy/v1', 'PodDisruptionBudget', obj({ spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } })), [
      'x', '2', 'N/A', 1, '5m',
    ]);
    assert.deepEqual(row('policy/v1', 'PodDisruptionBudget', obj({ spec: { maxUnavailable: '25%' } })).slice(1, 4), ['N/A', '25%', 0]);
  });
});

describe('core kinds', () => {
  test('Namespace', () => {
    assert.deepEqual(columns('v1', 'Namespace'), ['Name', 'Status', 'Age']);
    assert.deepEqual(row('v1', 'Namespace', obj({ status: { phase: 'Terminating' } }, { creationTimestamp: ago(3 * 86400 + 7200) })), [
      'x', 'Terminating', '3d2h',
    ]);
  });

  test('Node', () => {
    assert.deepEqual(columns('v1', 'Node'), [
      'Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*',
    ]);
    const node = obj(
      {
        spec: { unschedulable: true },
        status: {
          conditions: [
            { type: 'MemoryPressure', status: 'False' },
            { type: 'Ready', status: 'True' },
          ],
          addresses: [
            { type: 'Hostname', address: 'n1' },
            { type: 'InternalIP', address: '192.168.1.10' },
          ],
          nodeInfo: { kubeletVersion: 'v1.33.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: '' },
        },
      },
      { labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': 'x' } },
    );
    assert.deepEqual(row('v1', 'Node', node), [
      'x', 'Ready,SchedulingDisabled', 'control-plane,worker', '5m', 'v1.33.0', '192.168.1.10', '<none>', 'Debian GNU/Linux 12', '6.1.0', '<unknown>',
    ]);
    assert.deepEqual(row('v1', 'Node', obj({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })).slice(1, 3), ['NotReady', '<none>']);
    assert.equal(row('v1', 'Node', obj({}))[1], 'Unknown');
  });

  test('Service types', () => {
    assert.deepEqual(columns('v1', 'Service'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => row('v1', 'Service', obj({ spec, status }));
    assert.deepEqual(
      svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } }),
      ['x', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '5m', 'k8s=dns'],
    );
    assert.deepEqual(svc({ type: 'NodePort', clusterIPs: ['10.96.1.1'], externalIPs: ['1.2.3.4'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).slice(1, 5), [
      'NodePort', '10.96.1.1', '1.2.3.4', '80:30080/TCP',
    ]);
    assert.deepEqual(svc({ type: 'LoadBalancer', clusterIPs: ['10.96.1.2'] }).slice(3, 7), ['<pending>', '<none>', '5m', '<none>']);
    assert.equal(
      svc({ type: 'LoadBalancer', externalIPs: ['9.9.9.9'] }, { loadBalancer: { ingress: [{ ip: '5.5.5.5' }, { hostname: 'lb.example.com' }, { ip: '5.5.5.5' }] } })[3],
      '5.5.5.5,lb.example.com,9.9.9.9',
    );
    assert.deepEqual(svc({ type: 'ExternalName', externalName: 'db.example.com' }).slice(2, 4), ['<none>', 'db.example.com']);
    assert.deepEqual(svc({ clusterIP: 'None', ports: [] }).slice(1, 5), ['', 'None', '<unknown>', '<none>']);
  });

  test('Endpoints, with the three-address truncation', () => {
    assert.deepEqual(columns('v1', 'Endpoints'), ['Name', 'Endpoints', 'Age']);
    const ep = (subsets: unknown) => row('v1', 'Endpoints', obj({ subsets }))[1];
    assert.equal(ep(undefined), '<none>');
    assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], ports: [{ port: 80 }] }]), '10.0.0.1:80,[fd00::1]:80');
    assert.equal(
      ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }]),
      '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...',
    );
    assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }]), '10.0.0.1,10.0.0.2');
    assert.equal(ep([{ notReadyAddresses: [{ ip: '10.0.0.3' }], ports: [{ port: 80 }] }]), '');
  });

  test('EndpointSlice', () => {
    assert.deepEqual(columns('discovery.k8s.io/v1', 'EndpointSlice'), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    const slice = obj({
      addressType: 'IPv4',
      ports: [{ port: 80 }, { name: 'metrics' }, {}, { port: 9090 }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3', '10.0.0.4'] }],
    });
    assert.deepEqual(row('discovery.k8s.io/v1', 'EndpointSlice', slice), [
      'x', 'IPv4', '80,metrics,* + 1 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '5m',
    ]);
    assert.deepEqual(row('discovery.k8s.io/v1', 'EndpointSlice', obj({ addressType: 'IPv6' })).slice(2, 4), ['<unset>', '<unset>']);
  });

  test('ConfigMap, Secret, ServiceAccount, Lease', () => {
    assert.deepEqual(columns('v1', 'ConfigMap'), ['Name', 'Data', 'Age']);
    assert.deepEqual(row('v1', 'ConfigMap', obj({ data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })), ['x', 3, '5m']);
    assert.deepEqual(columns('v1', 'Secret'), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(row('v1', 'Secret', obj({ type: 'Opaque', data: { password: 'cw==' } })), ['x', 'Opaque', 1, '5m']);
    assert.deepEqual(columns('v1', 'ServiceAccount'), ['Name', 'Secrets', 'Age']);
    assert.deepEqual(row('v1', 'ServiceAccount', obj({})), ['x', 0, '5m']);
    assert.deepEqual(columns('coordination.k8s.io/v1', 'Lease'), ['Name', 'Holder', 'Age']);
    assert.deepEqual(row('coordination.k8s.io/v1', 'Lease', obj({ spec: { holderIdentity: 'node-1' } })), ['x', 'node-1', '5m']);
    assert.deepEqual(row('coordination.k8s.io/v1', 'Lease', obj({ spec: {} })), ['x', '', '5m']);
  });
});

describe('events', () => {
  const eventColumns = ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'];

  test('core/v1 Event', () => {
    assert.deepEqual(columns('v1', 'Event'), eventColumns);
    const ev = obj({
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
      type: 'Normal',
      reason: 'Pulled',
      message: '  Container image "nginx" already present on machine\n',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(600),
      lastTimestamp: ago(20),
      count: 4,
    }, { name: 'web.17f' });
    assert.deepEqual(row('v1', 'Event', ev), [
      '20s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, node-1',
      'Container image "nginx" already present on machine', '10m', 4, 'web.17f',
    ]);
  });

  test('core/v1 Event written by the new API: eventTime, reporting component, series', () => {
    const ev = obj({
      involvedObject: { kind: 'Node' },
      type: 'Warning',
      reason: 'Rebooted',
      eventTime: '2025-06-01T11:59:00.123456Z',
      reportingComponent: 'kubelet',
      reportingInstance: 'node-2',
    });
    assert.deepEqual(row('v1', 'Event', ev).slice(0, 9), ['59s', 'Warning', 'Rebooted', 'node', '', 'kubelet, node-2', '', '59s', 1]);
    const series = obj({ involvedObject: { kind: 'Pod', name: 'p' }, firstTimestamp: ago(100), series: { count: 7, lastObservedTime: ago(3) } });
    assert.deepEqual([row('v1', 'Event', series)[0], row('v1', 'Event', series)[8]], ['3s', 7]);
  });

  test('events.k8s.io/v1 Event prints as the same table', () => {
    assert.deepEqual(columns('events.k8s.io/v1', 'Event'), eventColumns);
    const ev = obj({
      regarding: { kind: 'Pod', name: 'web' },
      reason: 'Scheduled',
      note: 'Successfully assigned default/web to node-1',
      type: 'Normal',
      eventTime: ago(45),
      reportingController: 'default-scheduler',
      reportingInstance: 'default-scheduler-node-1',
      action: 'Binding',
    }, { name: 'web.1' });
    assert.deepEqual(row('events.k8s.io/v1', 'Event', ev), [
      '45s', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler, default-scheduler-node-1',
      'Successfully assigned default/web to node-1', '45s', 1, 'web.1',
    ]);
    const legacy = obj({ regarding: { kind: 'Pod', name: 'a' }, deprecatedSource: { component: 'kubelet' }, deprecatedFirstTimestamp: ago(9), deprecatedCount: 2 });
    assert.deepEqual(row('events.k8s.io/v1', 'Event', legacy).slice(0, 9), ['9s', '', '', 'pod/a', '', 'kubelet', '', '9s', 2]);
  });
});

describe('table envelope', () => {
  test('any other kind gets NAME and CREATED AT', () => {
    const t = toTable('rbac.authorization.k8s.io/v1', 'Role', [obj({}, { creationTimestamp: '2025-05-31T10:20:30Z' }), obj({}, { creationTimestamp: undefined })], {
      now: NOW,
      includeObject: 'None',
    });
    assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
    assert.deepEqual(t.rows.map((r) => r.cells), [['x', '2025-05-31T10:20:30Z'], ['x', '0001-01-01T00:00:00Z']]);
    assert.match(t.columnDefinitions![1]!.description, /^CreationTimestamp is a timestamp/);
  });

  test('noHeaders drops the column definitions; list metadata is carried over', () => {
    const t = toTable('v1', 'Namespace', [obj({ status: { phase: 'Active' } })], {
      now: NOW,
      includeObject: 'Metadata',
      noHeaders: true,
      listMeta: { resourceVersion: '7', continue: 'abc', remainingItemCount: 0 },
    });
    assert.equal(t.columnDefinitions, null);
    assert.deepEqual(t.metadata, { resourceVersion: '7', continue: 'abc', remainingItemCount: 0 });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  });

  test('includeObject=Object embeds the whole object with its type', () => {
    const ns = obj({ status: { phase: 'Active' } });
    const t = toTable('v1', 'Namespace', [ns], { now: NOW, includeObject: 'Object' });
    assert.deepEqual(t.rows[0]!.object, { apiVersion: 'v1', kind: 'Namespace', ...ns });
    const typed = { apiVersion: 'v1', kind: 'Namespace', ...ns };
    assert.equal(toTable('v1', 'Namespace', [typed], { now: NOW, includeObject: 'Object' }).rows[0]!.object, typed);
  });

  test('every printer column set starts with a name-formatted column (events aside)', () => {
    for (const [gv, kind] of [['v1', 'Pod'], ['apps/v1', 'Deployment'], ['v1', 'Service'], ['v1', 'Node']] as const) {
      assert.equal(toTable(gv, kind, [], { now: NOW, includeObject: 'None' }).columnDefinitions![0]!.format, 'name');
    }
  });
});
