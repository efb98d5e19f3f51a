import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from '../../src/api/patch/index.js';
import { ApiError } from '../../src/api/errors.js';

const smp = (live: unknown, patch: unknown, apiVersion = 'v1', kind = 'Pod') => applyStrategicMergePatch(live, patch, apiVersion, kind);

function rejects(fn: () => unknown, code: number, message: string, reason?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    assert.equal(err.reason, reason);
    return true;
  });
}

const lac = 'kubectl.kubernetes.io/last-applied-configuration';

describe('strategic merge patch: what kubectl apply sends', () => {
  test('the §3.1 body updates the image in place and stores the annotation verbatim', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', annotations: { [lac]: '{"old":true}\n', keep: 'me' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], terminationMessagePath: '/dev/termination-log' }],
        restartPolicy: 'Always',
      },
    };
    const patch = {
      metadata: { annotations: { [lac]: '{"new":true}\n' } },
      spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }] },
    };
    assert.deepEqual(smp(live, patch), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', annotations: { [lac]: '{"new":true}\n', keep: 'me' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx:1.26', ports: [{ containerPort: 80, protocol: 'TCP' }], terminationMessagePath: '/dev/termination-log' }],
        restartPolicy: 'Always',
      },
    });
    assert.equal(live.spec.containers[0]!.image, 'nginx:1.25', 'the live object is not changed');
  });

  test('removing a container: $patch delete inside the keyed list', () => {
    const live = { spec: { containers: [{ name: 'A', image: 'a' }, { name: 'B', image: 'b' }] } };
    const patch = { spec: { '$setElementOrder/containers': [{ name: 'A' }], containers: [{ name: 'B', $patch: 'delete' }] } };
    assert.deepEqual(smp(live, patch), { spec: { containers: [{ name: 'A', image: 'a' }] } });
  });

  test('$setElementOrder reorders, and new items take their place in it', () => {
    const live = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    assert.deepEqual(
      smp(live, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: 'x' }] } }),
      { spec: { containers: [{ name: 'b' }, { name: 'a', image: 'x' }] } },
    );
    assert.deepEqual(
      smp(live, { spec: { '$setElementOrder/containers': [{ name: 'new' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'new', image: 'n' }] } }),
      { spec: { containers: [{ name: 'new', image: 'n' }, { name: 'a' }, { name: 'b' }] } },
    );
  });

  test('$setElementOrder of a primitive list', () => {
    const live = { metadata: { finalizers: ['a', 'b'] } };
    assert.deepEqual(smp(live, { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } }), {
      metadata: { finalizers: ['c', 'b', 'a'] },
    });
  });

  test('without $setElementOrder, patched items follow the patch order and a new item yields to server-only ones', () => {
    const live = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    assert.deepEqual(smp(live, { spec: { containers: [{ name: 'c' }, { name: 'a', image: 'x' }] } }), {
      spec: { containers: [{ name: 'b' }, { name: 'c' }, { name: 'a', image: 'x' }] },
    });
    assert.deepEqual(smp(live, { spec: { containers: [{ name: 'c' }] } }), {
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    });
  });

  test('$retainKeys with field: null switches a deployment strategy', () => {
    const live = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, replicas: 2 } };
    const patch = { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } };
    assert.deepEqual(smp(live, patch, 'apps/v1', 'Deployment'), { spec: { strategy: { type: 'Recreate' }, replicas: 2 } });
  });

  test('$retainKeys inside a volume item drops the old volume source', () => {
    const live = { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] } };
    const patch = { spec: { volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' }, name: 'v' }] } };
    assert.deepEqual(smp(live, patch), { spec: { volumes: [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }] } });
  });

  test('$deleteFromPrimitiveList removes values from a merged primitive list', () => {
    const live = { metadata: { finalizers: ['a', 'b', 'c'] } };
    assert.deepEqual(smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } }), { metadata: { finalizers: ['a', 'c'] } });
  });
});

describe('strategic merge patch: list strategies of k8s.io/api', () => {
  const cases: { name: string; live: unknown; patch: unknown; want: unknown; gvk?: [string, string] }[] = [
    { name: 'finalizers merge as a set', live: { metadata: { finalizers: ['a'] } }, patch: { metadata: { finalizers: ['b', 'a'] } }, want: { metadata: { finalizers: ['b', 'a'] } } },
    {
      name: 'args are replaced whole',
      live: { spec: { containers: [{ name: 'x', args: ['1', '2'] }] } },
      patch: { spec: { containers: [{ name: 'x', args: ['3'] }] } },
      want: { spec: { containers: [{ name: 'x', args: ['3'] }] } },
    },
    {
      name: 'env merges by name, null removes a member',
      live: { spec: { containers: [{ name: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }] } },
      patch: { spec: { containers: [{ name: 'x', env: [{ name: 'B', value: '3' }, { name: 'A', value: null, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }] } },
      want: {
        spec: {
          containers: [{ name: 'x', env: [{ name: 'B', value: '3' }, { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }],
        },
      },
    },
    {
      name: 'container ports merge by containerPort',
      live: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 80, name: 'http' }] }] } },
      patch: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 443 }, { containerPort: 80, hostPort: 8080 }] }] } },
      want: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 443 }, { containerPort: 80, name: 'http', hostPort: 8080 }] }] } },
    },
    {
      name: 'volumeMounts merge by mountPath',
      live: { spec: { containers: [{ name: 'x', volumeMounts: [{ name: 'a', mountPath: '/a' }] }] } },
      patch: { spec: { containers: [{ name: 'x', volumeMounts: [{ name: 'b', mountPath: '/a', readOnly: true }] }] } },
      want: { spec: { containers: [{ name: 'x', volumeMounts: [{ name: 'b', mountPath: '/a', readOnly: true }] }] } },
    },
    {
      name: 'tolerations are atomic',
      live: { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } },
      patch: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
      want: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
    },
    {
      name: 'pod conditions merge by type',
      live: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } },
      patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      want: { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] } },
    },
    {
      name: 'containerStatuses are replaced',
      live: { status: { containerStatuses: [{ name: 'a', ready: false }, { name: 'b', ready: false }] } },
      patch: { status: { containerStatuses: [{ name: 'a', ready: true }] } },
      want: { status: { containerStatuses: [{ name: 'a', ready: true }] } },
    },
    {
      name: 'ownerReferences merge by uid',
      live: { metadata: { ownerReferences: [{ uid: '1', name: 'a' }] } },
      patch: { metadata: { ownerReferences: [{ uid: '2', name: 'b' }] } },
      want: { metadata: { ownerReferences: [{ uid: '1', name: 'a' }, { uid: '2', name: 'b' }] } },
    },
    {
      name: 'service ports merge by port',
      gvk: ['v1', 'Service'],
      live: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
      patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      want: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
    },
    {
      name: 'template containers of a deployment merge by name',
      gvk: ['apps/v1', 'Deployment'],
      live: { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } } } },
      patch: { spec: { replicas: 3, template: { spec: { containers: [{ name: 'b', image: '2' }] } } } },
      want: { spec: { replicas: 3, template: { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '2' }] } } } },
    },
    {
      name: 'node conditions and addresses merge by type',
      gvk: ['v1', 'Node'],
      live: { status: { conditions: [{ type: 'Ready', status: 'False' }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } },
      patch: { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'n1' }] } },
      want: {
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
        },
      },
    },
    {
      name: '$patch replace on a map',
      live: { spec: { nodeSelector: { a: '1', b: '2' } } },
      patch: { spec: { nodeSelector: { $patch: 'replace', c: '3' } } },
      want: { spec: { nodeSelector: { c: '3' } } },
    },
    {
      name: '$patch delete on a map',
      live: { metadata: { labels: { a: '1' }, name: 'x' } },
      patch: { metadata: { labels: { $patch: 'delete' } } },
      want: { metadata: { labels: {}, name: 'x' } },
    },
    {
      name: '$patch replace on a keyed list',
      live: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
      patch: { spec: { containers: [{ $patch: 'replace' }, { name: 'z' }] } },
      want: { spec: { containers: [{ name: 'z' }] } },
    },
    {
      name: 'null deletes a field',
      live: { spec: { activeDeadlineSeconds: 5, restartPolicy: 'Never' } },
      patch: { spec: { activeDeadlineSeconds: null } },
      want: { spec: { restartPolicy: 'Never' } },
    },
    {
      name: 'a new keyed list has its directives and nulls dropped',
      live: { spec: {} },
      patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', image: null, args: ['x'] }] } },
      want: { spec: { containers: [{ name: 'a', args: ['x'] }] } },
    },
    {
      name: 'kinds without a schema get merge-patch semantics',
      gvk: ['example.com/v1', 'Widget'],
      live: { spec: { items: [{ name: 'a' }], size: 1 } },
      patch: { spec: { items: [{ name: 'b' }], size: null } },
      want: { spec: { items: [{ name: 'b' }] } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const [apiVersion, kind] = c.gvk ?? ['v1', 'Pod'];
      assert.deepEqual(smp(c.live, c.patch, apiVersion, kind), c.want);
    });
  }
});

describe('strategic merge patch: malformed patches', () => {
  test('an invalid $patch value in a list item', () => {
    rejects(
      () => smp({ spec: { containers: [{ name: 'B' }] } }, { spec: { containers: [{ name: 'B', $patch: 'foo' }] } }),
      500,
      'unknown patch type: foo in map: map[$patch:foo name:B]',
    );
  });
  test('an invalid $patch value in a map', () => {
    rejects(() => smp({}, { metadata: { labels: { $patch: 'merge' } } }), 500, 'unknown patch type: merge in map: map[$patch:merge]');
  });
  test('an item without its merge key', () => {
    rejects(
      () => smp({ spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ image: 'x' }] } }),
      500,
      'map: map[image:x] does not contain declared merge key: name',
    );
  });
  test('$setElementOrder that is not a list', () => {
    rejects(() => smp({}, { spec: { '$setElementOrder/containers': 'x' } }), 400, 'invalid patch format of setElementOrder list', 'BadRequest');
  });
  test('$retainKeys that is not a list, or that misses a patched field', () => {
    rejects(() => smp({}, { spec: { strategy: { $retainKeys: 'type' } } }, 'apps/v1', 'Deployment'), 400, 'invalid patch format of retainKeys', 'BadRequest');
    rejects(
      () => smp({}, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 'apps/v1', 'Deployment'),
      422,
      "patch content doesn't match retainKeys list",
      'Invalid',
    );
  });
  test('$deleteFromPrimitiveList that is not a list', () => {
    rejects(() => smp({}, { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }), 400, 'invalid patch format of primitive list', 'BadRequest');
  });
  test('lists of lists', () => {
    rejects(() => smp({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [['b']] } }), 422, 'lists of lists are not supported', 'Invalid');
  });
  test('a patch that is not an object', () => {
    rejects(() => smp({}, ['x']), 400, 'invalid JSON document', 'BadRequest');
  });
});
