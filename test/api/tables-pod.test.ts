import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizePod, toTable } from '../../src/api/tables/index.js';
import type { ContainerState, ContainerStatus, Pod, PodStatus } from '../../src/api/types.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

const running: ContainerState = { running: { startedAt: ago(60) } };
const waiting = (reason?: string): ContainerState => ({ waiting: reason ? { reason } : {} });
const terminated = (exitCode: number, reason?: string, signal?: number): ContainerState => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) },
});

function cs(name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, state, ready: false, restartCount: 0, image: 'img', imageID: '', ...extra };
}

interface PodShape {
  containers?: string[];
  init?: string[];
  sidecars?: string[];
  status?: PodStatus;
  deleting?: boolean;
}

function pod({ containers = ['app'], init = [], sidecars = [], status = {}, deleting }: PodShape): Pod {
  const initContainers = [
    ...init.map((name) => ({ name, image: 'img' })),
    ...sidecars.map((name) => ({ name, image: 'img', restartPolicy: 'Always' as const })),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'default',
      creationTimestamp: ago(90),
      ...(deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: {
      containers: containers.map((name) => ({ name, image: 'img' })),
      ...(initContainers.length ? { initContainers } : {}),
    },
    status,
  };
}

const readyTrue = { type: 'Ready', status: 'True' as const };
const initializedTrue = { type: 'Initialized', status: 'True' as const };

interface Case {
  name: string;
  pod: Pod;
  ready: string;
  status: string;
  restarts: string;
}

const cases: Case[] = [
  { name: 'pending, nothing reported', pod: pod({ status: { phase: 'Pending' } }), ready: '0/1', status: 'Pending', restarts: '0' },
  {
    name: 'scheduling gated',
    pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }),
    ready: '0/1',
    status: 'SchedulingGated',
    restarts: '0',
  },
  {
    name: 'container creating',
    pod: pod({ status: { phase: 'Pending', containerStatuses: [cs('app', waiting('ContainerCreating'))] } }),
    ready: '0/1',
    status: 'ContainerCreating',
    restarts: '0',
  },
  {
    name: 'running and ready',
    pod: pod({
      status: { phase: 'Running', conditions: [readyTrue], containerStatuses: [cs('app', running, { ready: true })] },
    }),
    ready: '1/1',
    status: 'Running',
    restarts: '0',
  },
  {
    name: 'running, not ready',
    pod: pod({ status: { phase: 'Running', containerStatuses: [cs('app', running)] } }),
    ready: '0/1',
    status: 'Running',
    restarts: '0',
  },
  {
    name: 'crash loop with restarts and last termination',
    pod: pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          cs('app', waiting('CrashLoopBackOff'), {
            restartCount: 3,
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(4) } },
          }),
        ],
      },
    }),
    ready: '0/1',
    status: 'CrashLoopBackOff',
    restarts: '3 (4s ago)',
  },
  {
    name: 'restarts without a last termination time',
    pod: pod({ status: { phase: 'Running', containerStatuses: [cs('app', running, { ready: true, restartCount: 2 })] } }),
    ready: '1/1',
    status: 'Running',
    restarts: '2',
  },
  {
    name: 'completed',
    pod: pod({ status: { phase: 'Succeeded', containerStatuses: [cs('app', terminated(0, 'Completed'))] } }),
    ready: '0/1',
    status: 'Completed',
    restarts: '0',
  },
  {
    name: 'error exit',
    pod: pod({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(1, 'Error'))] } }),
    ready: '0/1',
    status: 'Error',
    restarts: '0',
  },
  {
    name: 'oom killed',
    pod: pod({ status: { phase: 'Running', containerStatuses: [cs('app', terminated(137, 'OOMKilled'))] } }),
    ready: '0/1',
    status: 'OOMKilled',
    restarts: '0',
  },
  {
    name: 'terminated by signal without reason',
    pod: pod({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(0, undefined, 9))] } }),
    ready: '0/1',
    status: 'Signal:9',
    restarts: '0',
  },
  {
    name: 'terminated with exit code without reason',
    pod: pod({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(2))] } }),
    ready: '0/1',
    status: 'ExitCode:2',
    restarts: '0',
  },
  {
    name: 'the alphabetically first container with a reason wins',
    pod: pod({
      containers: ['a', 'b'],
      status: {
        phase: 'Running',
        containerStatuses: [cs('a', waiting('ImagePullBackOff')), cs('b', waiting('CrashLoopBackOff'))],
      },
    }),
    ready: '0/2',
    status: 'ImagePullBackOff',
    restarts: '0',
  },
  {
    name: 'completed next to a running ready container, pod ready',
    pod: pod({
      containers: ['a', 'b'],
      status: {
        phase: 'Running',
        conditions: [readyTrue],
        containerStatuses: [cs('a', terminated(0, 'Completed')), cs('b', running, { ready: true })],
      },
    }),
    ready: '1/2',
    status: 'Running',
    restarts: '0',
  },
  {
    name: 'completed next to a running ready container, pod not ready',
    pod: pod({
      containers: ['a', 'b'],
      status: {
        phase: 'Running',
        containerStatuses: [cs('a', terminated(0, 'Completed')), cs('b', running, { ready: true })],
      },
    }),
    ready: '1/2',
    status: 'NotReady',
    restarts: '0',
  },
  {
    name: 'first init container waiting without reason',
    pod: pod({
      init: ['i1', 'i2'],
      status: { phase: 'Pending', initContainerStatuses: [cs('i1', waiting()), cs('i2', waiting())] },
    }),
    ready: '0/1',
    status: 'Init:0/2',
    restarts: '0',
  },
  {
    name: 'second init container running',
    pod: pod({
      init: ['i1', 'i2'],
      status: { phase: 'Pending', initContainerStatuses: [cs('i1', terminated(0, 'Completed')), cs('i2', running)] },
    }),
    ready: '0/1',
    status: 'Init:1/2',
    restarts: '0',
  },
  {
    name: 'init container waiting with PodInitializing counts as progress',
    pod: pod({
      init: ['i1'],
      status: { phase: 'Pending', initContainerStatuses: [cs('i1', waiting('PodInitializing'))] },
    }),
    ready: '0/1',
    status: 'Init:0/1',
    restarts: '0',
  },
  {
    name: 'init container failed',
    pod: pod({
      init: ['i1'],
      status: { phase: 'Pending', initContainerStatuses: [cs('i1', terminated(1, 'Error'), { restartCount: 2 })] },
    }),
    ready: '0/1',
    status: 'Init:Error',
    restarts: '2',
  },
  {
    name: 'init container crash looping, restarts counted with their time',
    pod: pod({
      init: ['i1'],
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          cs('i1', waiting('CrashLoopBackOff'), {
            restartCount: 4,
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(150) } },
          }),
        ],
        containerStatuses: [cs('app', waiting('PodInitializing'), { restartCount: 7 })],
      },
    }),
    ready: '0/1',
    status: 'Init:CrashLoopBackOff',
    restarts: '4 (2m30s ago)',
  },
  {
    name: 'init container killed by a signal',
    pod: pod({ init: ['i1'], status: { phase: 'Pending', initContainerStatuses: [cs('i1', terminated(143, undefined, 15))] } }),
    ready: '0/1',
    status: 'Init:Signal:15',
    restarts: '0',
  },
  {
    name: 'init container exit code without reason',
    pod: pod({ init: ['i1'], status: { phase: 'Pending', initContainerStatuses: [cs('i1', terminated(3))] } }),
    ready: '0/1',
    status: 'Init:ExitCode:3',
    restarts: '0',
  },
  {
    name: 'init done, main containers starting',
    pod: pod({
      init: ['i1'],
      status: {
        phase: 'Pending',
        initContainerStatuses: [cs('i1', terminated(0, 'Completed'))],
        containerStatuses: [cs('app', waiting('PodInitializing'))],
      },
    }),
    ready: '0/1',
    status: 'PodInitializing',
    restarts: '0',
  },
  {
    name: 'started sidecar counts towards ready and total',
    pod: pod({
      sidecars: ['proxy'],
      status: {
        phase: 'Running',
        conditions: [initializedTrue, readyTrue],
        initContainerStatuses: [cs('proxy', running, { started: true, ready: true })],
        containerStatuses: [cs('app', running, { ready: true })],
      },
    }),
    ready: '2/2',
    status: 'Running',
    restarts: '0',
  },
  {
    name: 'sidecar not yet started blocks initialization',
    pod: pod({
      sidecars: ['proxy'],
      status: {
        phase: 'Pending',
        initContainerStatuses: [cs('proxy', running, { started: false })],
        containerStatuses: [cs('app', waiting('PodInitializing'))],
      },
    }),
    ready: '0/2',
    status: 'Init:0/1',
    restarts: '0',
  },
  {
    name: 'sidecar restarts stay in the total once initialized',
    pod: pod({
      sidecars: ['proxy'],
      init: [],
      status: {
        phase: 'Running',
        conditions: [initializedTrue, readyTrue],
        initContainerStatuses: [
          cs('proxy', running, {
            started: true,
            ready: true,
            restartCount: 2,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(30) } },
          }),
        ],
        containerStatuses: [cs('app', running, { ready: true, restartCount: 1 })],
      },
    }),
    ready: '2/2',
    status: 'Running',
    restarts: '3 (30s ago)',
  },
  {
    name: 'a crashing sidecar keeps its Init: reason after initialization',
    pod: pod({
      sidecars: ['proxy'],
      status: {
        phase: 'Running',
        conditions: [initializedTrue],
        initContainerStatuses: [cs('proxy', waiting('CrashLoopBackOff'), { started: false, restartCount: 5 })],
        containerStatuses: [cs('app', running, { ready: true })],
      },
    }),
    ready: '1/2',
    status: 'Init:CrashLoopBackOff',
    restarts: '5',
  },
  {
    name: 'terminating',
    pod: pod({
      deleting: true,
      status: { phase: 'Running', conditions: [readyTrue], containerStatuses: [cs('app', running, { ready: true })] },
    }),
    ready: '1/1',
    status: 'Terminating',
    restarts: '0',
  },
  {
    name: 'deleted after it failed keeps the container reason',
    pod: pod({ deleting: true, status: { phase: 'Failed', containerStatuses: [cs('app', terminated(1, 'Error'))] } }),
    ready: '0/1',
    status: 'Error',
    restarts: '0',
  },
  {
    name: 'node lost while deleting',
    pod: pod({ deleting: true, status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [cs('app', running, { ready: true })] } }),
    ready: '1/1',
    status: 'Unknown',
    restarts: '0',
  },
  {
    name: 'evicted',
    pod: pod({ status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } }),
    ready: '0/1',
    status: 'Evicted',
    restarts: '0',
  },
  {
    name: 'deadline exceeded, containers already gone',
    pod: pod({ status: { phase: 'Failed', reason: 'DeadlineExceeded' } }),
    ready: '0/1',
    status: 'DeadlineExceeded',
    restarts: '0',
  },
  {
    name: 'deadline exceeded, container reason overrides',
    pod: pod({ status: { phase: 'Failed', reason: 'DeadlineExceeded', containerStatuses: [cs('app', terminated(137, 'Error'))] } }),
    ready: '0/1',
    status: 'Error',
    restarts: '0',
  },
  {
    name: 'unknown phase',
    pod: pod({ status: { phase: 'Unknown' } }),
    ready: '0/1',
    status: 'Unknown',
    restarts: '0',
  },
  {
    name: 'no status at all',
    pod: pod({}),
    ready: '0/1',
    status: '',
    restarts: '0',
  },
];

describe('pod READY, STATUS and RESTARTS', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(summarizePod(c.pod, NOW), { ready: c.ready, status: c.status, restarts: c.restarts });
    });
  }
});

describe('pod table', () => {
  test('columns are Kubernetes’ pod columns', () => {
    const table = toTable('v1', 'Pod', [], { now: NOW, includeObject: 'Metadata' });
    assert.deepEqual(
      table.columnDefinitions!.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Ready', 'string', '', 0],
        ['Status', 'string', '', 0],
        ['Restarts', 'string', '', 0],
        ['Age', 'string', '', 0],
        ['IP', 'string', '', 1],
        ['Node', 'string', '', 1],
        ['Nominated Node', 'string', '', 1],
        ['Readiness Gates', 'string', '', 1],
      ],
    );
    assert.deepEqual(table.rows, []);
  });

  test('wide cells, readiness gates and the partial metadata object', () => {
    const p = pod({
      status: {
        phase: 'Running',
        podIP: '10.0.0.9',
        podIPs: [{ ip: '10.244.0.7' }],
        conditions: [readyTrue, { type: 'example.com/gate', status: 'True' }],
        containerStatuses: [cs('app', running, { ready: true })],
      },
    });
    p.spec.nodeName = 'node-1';
    p.spec.readinessGates = [{ conditionType: 'example.com/gate' }, { conditionType: 'example.com/other' }];
    p.metadata.labels = { app: 'web' };
    const table = toTable('v1', 'Pod', [p], { now: NOW, includeObject: 'Metadata', listMeta: { resourceVersion: '42' } });
    assert.deepEqual(table.metadata, { resourceVersion: '42' });
    assert.deepEqual(table.rows[0]!.cells, ['p', '1/1', 'Running', '0', '90s', '10.244.0.7', 'node-1', '<none>', '1/2']);
    assert.deepEqual(table.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
    assert.equal(table.rows[0]!.conditions, undefined);
  });

  test('an unscheduled pod shows <none> for IP, node and gates', () => {
    const table = toTable('v1', 'Pod', [pod({ status: { phase: 'Pending' } })], { now: NOW, includeObject: 'None' });
    assert.deepEqual(table.rows[0]!.cells.slice(5), ['<none>', '<none>', '<none>', '<none>']);
    assert.equal('object' in table.rows[0]!, false);
  });

  test('finished pods carry the Completed row condition', () => {
    const done = toTable('v1', 'Pod', [pod({ status: { phase: 'Succeeded' } }), pod({ status: { phase: 'Failed' } })], {
      now: NOW,
      includeObject: 'None',
    });
    assert.deepEqual(done.rows.map((r) => r.conditions?.[0]?.reason), ['Succeeded', 'Failed']);
  });

  test('10,000 pods make a table quickly enough to list', () => {
    const pods = Array.from({ length: 10_000 }, (_, i) => {
      const p = pod({
        status: {
          phase: 'Running',
          conditions: [readyTrue],
          containerStatuses: [
            cs('app', running, { ready: true, restartCount: i % 3, lastState: { terminated: { exitCode: 1, finishedAt: ago(i % 500) } } }),
          ],
        },
      });
      p.metadata.name = `p-${i}`;
      return p;
    });
    const table = toTable('v1', 'Pod', pods, { now: NOW, includeObject: 'Metadata' });
    assert.equal(table.rows.length, 10_000);
    assert.equal(table.rows[9_999]!.cells[0], 'p-9999');
    assert.equal(table.rows[1]!.cells[3], '1 (1s ago)');
  });
});
