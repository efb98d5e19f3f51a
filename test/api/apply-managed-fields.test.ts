import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { updateManagedFields } from '../../src/api/patch/index.js';
import type { KubeObject, ManagedFieldsEntry } from '../../src/api/types.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';
const t2 = '2026-01-01T00:02:00Z';

/** A pod as the server stores it after create: defaulted, with server-set metadata and status. */
function pod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: t0, generation: 1, labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'nginx', image: 'nginx', resources: {}, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'Always' }],
      restartPolicy: 'Always',
      securityContext: {},
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

const update = (old: KubeObject | undefined, updated: KubeObject, manager: string, now = t1, subresource?: string) =>
  updateManagedFields({ old, updated, manager, apiVersion: 'v1', kind: 'Pod', now, ...(subresource ? { subresource } : {}) });

const entries = (obj: KubeObject): ManagedFieldsEntry[] => obj.metadata.managedFields ?? [];
const byManager = (obj: KubeObject, manager: string) => entries(obj).find((e) => e.manager === manager);

function withChange(obj: KubeObject, change: (o: KubeObject & { spec: any; status: any }) => void): KubeObject {
  const copy = structuredClone(obj) as KubeObject & { spec: any; status: any };
  change(copy);
  return copy;
}

describe('managedFields after a create', () => {
  test('the creator owns every field it set, defaults included; server metadata and status are nobody\'s', () => {
    const out = update(undefined, pod(), 'kubectl-create', t0);
    assert.deepEqual(entries(out), [
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: t0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:imagePullPolicy': {},
                'f:name': {},
                'f:resources': {},
                'f:terminationMessagePath': {},
              },
            },
            'f:restartPolicy': {},
            'f:securityContext': {},
          },
        },
      },
    ]);
  });

  test('managedFields sent on a create are kept beside the record of the create', () => {
    const body = pod();
    body.metadata.managedFields = [{ manager: 'restored', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    const out = update(undefined, body, 'kubectl-create', t0);
    assert.deepEqual(
      entries(out).map((e) => [e.manager, e.fieldsV1]),
      [
        ['restored', { 'f:spec': {} }],
        ['kubectl-create', byManager(update(undefined, pod(), 'kubectl-create', t0), 'kubectl-create')!.fieldsV1],
      ],
    );
  });
});

describe('managedFields after updates', () => {
  const created = () => update(undefined, pod(), 'kubectl-create', t0);

  test('the fields a manager changes move to it', () => {
    const old = created();
    const out = update(old, withChange(old, (o) => (o.metadata.labels!.app = 'api')), 'kubectl-label');
    assert.deepEqual(byManager(out, 'kubectl-label'), {
      manager: 'kubectl-label',
      operation: 'Update',
      apiVersion: 'v1',
      time: t1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } },
    });
    assert.deepEqual((byManager(out, 'kubectl-create')!.fieldsV1 as any)['f:metadata'], { 'f:labels': {} }, 'the map itself stays with its creator');
  });

  test('a removed field leaves every owner', () => {
    const old = created();
    const out = update(old, withChange(old, (o) => delete o.spec.securityContext), 'kubectl-edit');
    assert.equal(byManager(out, 'kubectl-edit'), undefined, 'a pure removal owns nothing');
    assert.equal((byManager(out, 'kubectl-create')!.fieldsV1 as any)['f:spec']['f:securityContext'], undefined);
  });

  test('updates by one manager merge into its entry, and the time moves', () => {
    let obj = created();
    obj = update(obj, withChange(obj, (o) => (o.metadata.labels!.a = '1')), 'kubectl-label', t1);
    obj = update(obj, withChange(obj, (o) => (o.metadata.labels!.b = '2')), 'kubectl-label', t2);
    const mine = byManager(obj, 'kubectl-label')!;
    assert.equal(mine.time, t2);
    assert.deepEqual(mine.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:a': {}, 'f:b': {} } } });
    assert.equal(entries(obj).filter((e) => e.manager === 'kubectl-label').length, 1);
  });

  test('an update that changes nothing leaves managedFields alone', () => {
    const old = created();
    const out = update(old, withChange(old, (o) => (o.metadata.resourceVersion = '9')), 'kubectl-edit');
    assert.deepEqual(entries(out), entries(old));
  });

  test('server metadata is never owned', () => {
    const old = created();
    const out = update(old, withChange(old, (o) => Object.assign(o.metadata, { generation: 2, uid: 'other', resourceVersion: '5' })), 'x');
    assert.equal(byManager(out, 'x'), undefined);
  });

  test('the status subresource records its own entry and owns only status', () => {
    const old = created();
    const next = withChange(old, (o) => {
      o.status.phase = 'Running';
      o.status.conditions = [{ type: 'Ready', status: 'True' }];
      o.spec.restartPolicy = 'Never';
    });
    const out = update(old, next, 'kubelet', t1, 'status');
    assert.deepEqual(byManager(out, 'kubelet'), {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time: t1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:status': {
          'f:conditions': { '.': {}, 'k:{"type":"Ready"}': { '.': {}, 'f:status': {}, 'f:type': {} } },
          'f:phase': {},
        },
      },
      subresource: 'status',
    });
  });

  test('managedFields in the request body are ignored on a subresource', () => {
    const old = created();
    const next = withChange(old, (o) => {
      o.status.phase = 'Running';
      o.metadata.managedFields = [];
    });
    const out = update(old, next, 'kubelet', t1, 'status');
    assert.ok(byManager(out, 'kubectl-create'));
  });

  test('[{}] clears managedFields, and the object then stays untracked', () => {
    const old = created();
    const cleared = update(old, withChange(old, (o) => (o.metadata.managedFields = [{}])), 'kubectl-edit');
    assert.equal(cleared.metadata.managedFields, undefined);
    const after = update(cleared, withChange(cleared, (o) => (o.metadata.labels!.x = 'y')), 'kubectl-label');
    assert.equal(after.metadata.managedFields, undefined);
  });

  test('a client may rewrite managedFields', () => {
    const old = created();
    const mine: ManagedFieldsEntry = { manager: 'me', operation: 'Update', apiVersion: 'v1', time: t0, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:restartPolicy': {} } } };
    const out = update(old, withChange(old, (o) => (o.metadata.managedFields = [mine])), 'kubectl-edit');
    assert.deepEqual(entries(out), [mine]);
  });

  test('entries are ordered Apply first, then by time, then by manager', () => {
    let obj = created();
    obj = update(obj, withChange(obj, (o) => (o.metadata.labels!.z = '1')), 'zeta', t2);
    obj = update(obj, withChange(obj, (o) => (o.metadata.labels!.y = '1')), 'alpha', t2);
    obj.metadata.managedFields!.push({ manager: 'applier', operation: 'Apply', apiVersion: 'v1', time: t2, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:hostname': {} } } });
    obj = update(obj, withChange(obj, (o) => (o.metadata.labels!.w = '1')), 'beta', t1);
    assert.deepEqual(
      entries(obj).map((e) => e.manager),
      ['applier', 'kubectl-create', 'beta', 'alpha', 'zeta'],
    );
  });

  test('more than ten update managers fold the oldest into ancient-changes', () => {
    let obj = created();
    for (let i = 0; i < 11; i++) {
      const time = `2026-01-01T01:${String(i).padStart(2, '0')}:00Z`;
      obj = update(obj, withChange(obj, (o) => (o.metadata.labels![`l${i}`] = 'v')), `m${i}`, time);
    }
    const managers = entries(obj).map((e) => e.manager);
    assert.equal(managers.length, 10);
    assert.ok(managers.includes('ancient-changes'));
    assert.ok(!managers.includes('kubectl-create') && !managers.includes('m0'));
    const ancient = byManager(obj, 'ancient-changes')!;
    assert.ok(JSON.stringify(ancient.fieldsV1).includes('f:l0') && JSON.stringify(ancient.fieldsV1).includes('f:image'));
  });
});
