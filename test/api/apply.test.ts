import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { serverSideApply, updateManagedFields } from '../../src/api/patch/index.js';
import { ApiError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/types.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';
const t2 = '2026-01-01T00:02:00Z';
const lac = 'kubectl.kubernetes.io/last-applied-configuration';

function deployment(opts: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: string[] } = {}): KubeObject {
  const containers = (opts.containers ?? ['nginx']).map((name) => ({ name, image: opts.image ?? 'nginx:1.25' }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
  };
}

function applyAs(manager: string, live: KubeObject | undefined, applied: KubeObject, now = t1, force = false): KubeObject {
  return serverSideApply({ live, applied, manager, force, apiVersion: applied.apiVersion ?? 'apps/v1', kind: applied.kind ?? 'Deployment', now });
}

/** What a store would hand back: the object with server-set metadata. */
function stored(obj: KubeObject, rv = '1'): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid: 'uid-1', resourceVersion: rv, creationTimestamp: t0, generation: 1 } };
}

function entry(obj: KubeObject, manager: string) {
  return obj.metadata.managedFields?.find((m) => m.manager === manager);
}

function conflict(fn: () => unknown): ApiError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ApiError, `expected a conflict, got ${String(caught)}`);
  assert.equal(caught.code, 409);
  assert.equal(caught.reason, 'Conflict');
  return caught;
}

describe('server-side apply: create', () => {
  test('the object is the configuration and the manager owns what it applied', () => {
    const out = applyAs('kubectl', undefined, deployment({ replicas: 2, labels: { app: 'web' } }), t0);
    assert.equal((out.spec as { replicas: number }).replicas, 2);
    assert.deepEqual(out.metadata.managedFields, [
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: t0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  test('list map keys take their schema defaults; sets are written as values', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', finalizers: ['example.com/x'] },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }, { containerPort: 80 }] }], tolerations: [{ operator: 'Exists' }] },
    };
    const out = serverSideApply({ live: undefined, applied: pod, manager: 'm', force: false, apiVersion: 'v1', kind: 'Pod', now: t0 });
    assert.deepEqual(out.metadata.managedFields![0]!.fieldsV1, {
      'f:metadata': { 'f:finalizers': { 'v:"example.com/x"': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"c"}': {
            '.': {},
            'f:name': {},
            'f:ports': {
              'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
              'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} },
            },
          },
        },
        'f:tolerations': {},
      },
    });
  });

  test('status is not owned through the main resource', () => {
    const applied = { ...deployment({ replicas: 1 }), status: { replicas: 5 } };
    const out = applyAs('kubectl', undefined, applied, t0);
    assert.equal(out.metadata.managedFields![0]!.fieldsV1!['f:status'], undefined);
  });

  test('custom resources: objects are granular, lists atomic', () => {
    const cr: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1, items: [{ a: 1 }] } };
    const out = serverSideApply({ live: undefined, applied: cr, manager: 'm', force: false, apiVersion: 'example.com/v1', kind: 'Widget', now: t0 });
    assert.deepEqual(out.metadata.managedFields![0]!.fieldsV1, { 'f:spec': { 'f:items': {}, 'f:size': {} } });
  });
});

describe('server-side apply: requests it refuses', () => {
  test('managedFields in the configuration', () => {
    const applied = deployment();
    applied.metadata.managedFields = [];
    assert.throws(() => applyAs('kubectl', undefined, applied), { message: 'metadata.managedFields must be nil' });
  });
  test('another version than the endpoint', () => {
    assert.throws(
      () => serverSideApply({ live: undefined, applied: deployment(), manager: 'k', force: false, apiVersion: 'apps/v1beta1', kind: 'Deployment', now: t0 }),
      (err: unknown) => err instanceof ApiError && err.code === 400 && err.message === 'Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: apps/v1beta1',
    );
  });
  test('a list map item without its key', () => {
    const applied = deployment();
    (applied.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [{ image: 'x' }];
    assert.throws(
      () => applyAs('kubectl', undefined, applied),
      (err: unknown) =>
        err instanceof ApiError &&
        err.code === 500 &&
        err.message ===
          'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)',
    );
  });
});

describe('server-side apply: updates', () => {
  test('the same manager changes its fields and the time moves', () => {
    const live = stored(applyAs('kubectl', undefined, deployment({ replicas: 1 }), t0));
    const out = applyAs('kubectl', live, deployment({ replicas: 1, image: 'nginx:1.26' }), t1);
    const containers = (out.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers;
    assert.equal(containers[0]!.image, 'nginx:1.26');
    assert.equal(out.metadata.uid, 'uid-1');
    assert.equal(entry(out, 'kubectl')!.time, t1);
  });

  test('a no-op apply returns the live object and keeps the time', () => {
    const live = stored(applyAs('kubectl', undefined, deployment({ replicas: 1 }), t0));
    const out = applyAs('kubectl', live, deployment({ replicas: 1 }), t1);
    assert.deepEqual(out, live);
  });

  test('a field no longer applied is removed', () => {
    const live = stored(applyAs('a', undefined, deployment({ replicas: 1, labels: { app: 'web', tier: 'front' }, containers: ['x', 'y'] }), t0));
    const out = applyAs('a', live, deployment({ labels: { app: 'web' }, containers: ['x'] }), t1);
    assert.deepEqual(out.metadata.labels, { app: 'web' });
    assert.equal((out.spec as { replicas?: number }).replicas, undefined);
    const containers = (out.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers;
    assert.deepEqual(containers.map((c) => c.name), ['x']);
  });

  test('a field still owned by another manager stays when one stops applying it', () => {
    let live = stored(applyAs('a', undefined, deployment({ labels: { app: 'web', tier: 'front' } }), t0));
    live = stored(applyAs('b', live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { tier: 'front' } } }, t1), '2');
    const fields = entry(live, 'b')!.fieldsV1!;
    assert.deepEqual(fields, { 'f:metadata': { 'f:labels': { 'f:tier': {} } } }, 'the same value is shared, not a conflict');
    const out = applyAs('a', live, deployment({ labels: { app: 'web' } }), t2);
    assert.deepEqual(out.metadata.labels, { app: 'web', tier: 'front' });
  });

  test('fields set by others are not touched by an apply that does not name them', () => {
    let live = stored(applyAs('a', undefined, deployment({ replicas: 1 }), t0));
    const scaled = { ...live, spec: { ...(live.spec as object), replicas: 4 } };
    live = stored(updateManagedFields({ old: live, updated: scaled, manager: 'kubectl-scale', apiVersion: 'apps/v1', kind: 'Deployment', now: t1 }), '2');
    assert.deepEqual(entry(live, 'kubectl-scale')!.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(entry(live, 'a')!.fieldsV1!['f:spec'] !== undefined, true);
    assert.equal(JSON.stringify(entry(live, 'a')!.fieldsV1).includes('f:replicas'), false, 'the update took replicas away from the applier');
    const out = applyAs('a', live, deployment({ image: 'nginx:1.26' }), t2);
    assert.equal((out.spec as { replicas: number }).replicas, 4);
  });
});

describe('server-side apply: conflicts', () => {
  test('changing a field another applier owns is a 409 with Kubernetes text', () => {
    const live = stored(applyAs('a', undefined, deployment({ replicas: 1 }), t0));
    const err = conflict(() => applyAs('b', live, deployment({ replicas: 2 }), t1));
    assert.deepEqual(err.status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }] },
      code: 409,
    });
  });

  test('an Update owner is named with its version', () => {
    const created = updateManagedFields({
      old: undefined,
      updated: stored({ ...deployment({ replicas: 1 }), metadata: { ...deployment().metadata, annotations: { [lac]: '{}' } } }),
      manager: 'kubectl-client-side-apply',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      now: t0,
    });
    const err = conflict(() => applyAs('other', created, deployment({ replicas: 3 }), t1));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });

  test('several conflicts are listed per manager', () => {
    let live = stored(applyAs('a', undefined, deployment({ replicas: 1 }), t0));
    live = stored(applyAs('b', live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { x: '1' } } }, t1), '2');
    const err = conflict(() => applyAs('c', live, deployment({ replicas: 2, image: 'other', labels: { x: '2' } }), t2));
    assert.equal(
      err.message,
      'Apply failed with 3 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image\nconflicts with "b":\n- .metadata.labels.x',
    );
    assert.deepEqual(
      err.status.details!.causes!.map((c) => c.field),
      ['.spec.replicas', '.spec.template.spec.containers[name="nginx"].image', '.metadata.labels.x'],
    );
  });

  test('force takes ownership away from the other manager', () => {
    const live = stored(applyAs('a', undefined, deployment({ replicas: 1 }), t0));
    const out = applyAs('b', live, deployment({ replicas: 2 }), t1, true);
    assert.equal((out.spec as { replicas: number }).replicas, 2);
    assert.equal(JSON.stringify(entry(out, 'a')!.fieldsV1).includes('f:replicas'), false);
    assert.deepEqual((entry(out, 'b')!.fieldsV1 as { 'f:spec': Record<string, unknown> })['f:spec']['f:replicas'], {});
  });

  test('an object never tracked is owned by before-first-apply at its first apply', () => {
    const live = stored(deployment({ replicas: 1 }));
    const err = conflict(() => applyAs('kubectl', live, deployment({ replicas: 5 }), t1));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const same = applyAs('kubectl', live, deployment({ replicas: 1 }), t1);
    assert.deepEqual(
      same.metadata.managedFields!.map((m) => [m.manager, m.operation]),
      [
        ['kubectl', 'Apply'],
        ['before-first-apply', 'Update'],
      ],
    );
  });
});

describe('server-side apply after client-side apply, and back', () => {
  function clientSideCreated(replicas: number): KubeObject {
    const manifest = deployment({ replicas });
    const body = { ...manifest, metadata: { ...manifest.metadata, annotations: { [lac]: JSON.stringify(manifest) + '\n' } } };
    return stored(updateManagedFields({ old: undefined, updated: body, manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', kind: 'Deployment', now: t0 }));
  }

  test('kubectl --server-side takes over fields the last-applied annotation describes', () => {
    const live = clientSideCreated(1);
    const applied = deployment({ replicas: 3 });
    const out = applyAs('kubectl', live, applied, t1);
    assert.equal((out.spec as { replicas: number }).replicas, 3);
    assert.equal(JSON.stringify(entry(out, 'kubectl-client-side-apply')!.fieldsV1).includes('f:replicas'), false);
    const annotation = out.metadata.annotations![lac]!;
    assert.ok(annotation.endsWith('\n'));
    assert.deepEqual(JSON.parse(annotation), applied, 'the annotation follows the applied configuration');
    assert.ok(annotation.startsWith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3,'));
  });

  test('another manager name gets the conflict', () => {
    const err = conflict(() => applyAs('my-tool', clientSideCreated(1), deployment({ replicas: 3 }), t1));
    assert.match(err.message, /conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas$/);
  });

  test('a field changed since the last client-side apply still conflicts', () => {
    let live = clientSideCreated(1);
    live = stored(
      updateManagedFields({ old: live, updated: { ...live, spec: { ...(live.spec as object), replicas: 7 } }, manager: 'kubectl-scale', apiVersion: 'apps/v1', kind: 'Deployment', now: t1 }),
      '2',
    );
    const err = conflict(() => applyAs('kubectl', live, deployment({ replicas: 3 }), t2));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
  });

  test('a client-side patch after server-side apply takes the fields it changes', () => {
    const live = stored(applyAs('kubectl', undefined, deployment({ replicas: 1 }), t0));
    const patched = { ...live, spec: { ...(live.spec as object), replicas: 2 } };
    const out = updateManagedFields({ old: live, updated: patched, manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', kind: 'Deployment', now: t1 });
    assert.deepEqual(entry(out, 'kubectl-client-side-apply')!.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(JSON.stringify(entry(out, 'kubectl')!.fieldsV1).includes('f:replicas'), false);
  });
});

describe('server-side apply: lists and subresources', () => {
  const meta = (finalizers: string[]): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers } });
  const cm = (manager: string, live: KubeObject | undefined, applied: KubeObject, now: string) =>
    serverSideApply({ live, applied, manager, force: false, apiVersion: 'v1', kind: 'ConfigMap', now });

  test('set items of two appliers merge; each removes only its own', () => {
    let live = stored(cm('a', undefined, meta(['x']), t0));
    live = stored(cm('b', live, meta(['y']), t1), '2');
    assert.deepEqual(live.metadata.finalizers, ['x', 'y']);
    const out = cm('a', live, meta([]), t2);
    assert.deepEqual(out.metadata.finalizers, ['y']);
  });

  test('a list item applied by two managers stays when one stops applying it', () => {
    let live = stored(applyAs('a', undefined, deployment({ containers: ['x', 'y'] }), t0));
    live = stored(applyAs('b', live, deployment({ containers: ['y'] }), t1), '2');
    const out = applyAs('a', live, deployment({ containers: ['x'] }), t2);
    const names = (out.spec as { template: { spec: { containers: { name: string }[] } } }).template.spec.containers.map((c) => c.name);
    assert.deepEqual(names, ['x', 'y']);
  });

  test('applying status through the status subresource owns status only', () => {
    const live = stored(applyAs('kubectl', undefined, deployment({ replicas: 1 }), t0));
    const applied: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 9 }, status: { replicas: 1 } };
    const out = serverSideApply({ live, applied, manager: 'controller', force: false, apiVersion: 'apps/v1', kind: 'Deployment', now: t1, subresource: 'status' });
    assert.deepEqual(entry(out, 'controller'), {
      manager: 'controller',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: t1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:replicas': {} } },
      subresource: 'status',
    });
  });
});
