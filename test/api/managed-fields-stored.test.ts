import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { updateManagedFields } from '../../src/api/patch/index.js';
import { decodeManagedFields, encodeManagedFields } from '../../src/api/patch/managed-fields.js';
import { FieldSet } from '../../src/api/patch/fieldset.js';
import type { KubeObject } from '../../src/api/types.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';

function pod(): KubeObject & { spec: any; status: any } {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: t0, labels: { app: 'web' } },
    spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' },
    status: { phase: 'Pending' },
  };
}

const update = (old: KubeObject | undefined, updated: KubeObject, manager: string, now: string, subresource?: string) =>
  updateManagedFields({ old, updated, manager, apiVersion: 'v1', kind: 'Pod', now, ...(subresource ? { subresource } : {}) });

describe('managedFields entries a write leaves alone', () => {
  test('overlaps says whether difference would take a path away', () => {
    const a = FieldSet.fromPaths([['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image'], ['f:metadata', 'f:labels']]);
    assert.equal(a.overlaps(FieldSet.fromPaths([['f:spec', 'f:containers', 'k:{"name":"a"}', 'f:image']])), true);
    assert.equal(a.overlaps(FieldSet.fromPaths([['f:metadata', 'f:labels']])), true);
    assert.equal(a.overlaps(FieldSet.fromPaths([['f:spec', 'f:containers', 'k:{"name":"b"}', 'f:image'], ['f:status']])), false);
    assert.equal(a.overlaps(new FieldSet()), false);
  });

  test('an untouched entry of the stored object is written back as it was, a touched one re-encoded', () => {
    const created = update(undefined, pod(), 'creator', t0);
    const stored = JSON.parse(JSON.stringify(created)) as KubeObject;
    const next = structuredClone(stored) as KubeObject & { status: any };
    next.status = { phase: 'Running', podIP: '10.0.0.1' };
    const written = update(stored, next, 'kubelet', t1, 'status');
    const creator = written.metadata.managedFields!.find((e) => e.manager === 'creator')!;
    // The stored entry's own FieldsV1 object, not a new encoding of it.
    assert.equal(creator.fieldsV1, stored.metadata.managedFields![0]!.fieldsV1);
    assert.deepEqual(creator.fieldsV1, created.metadata.managedFields![0]!.fieldsV1);

    // A spec change through the main resource takes the image from the creator: that entry is rebuilt.
    const relabeled = structuredClone(written) as KubeObject & { spec: any };
    relabeled.spec.containers[0].image = 'nginx:2';
    const after = update(JSON.parse(JSON.stringify(written)), relabeled, 'editor', t1);
    const creatorAfter = after.metadata.managedFields!.find((e) => e.manager === 'creator')!;
    const containers = (creatorAfter.fieldsV1 as any)['f:spec']['f:containers']['k:{"name":"nginx"}'];
    assert.equal('f:image' in containers, false);
    assert.equal('f:ports' in containers, true);
    const editor = after.metadata.managedFields!.find((e) => e.manager === 'editor')!;
    assert.deepEqual(editor.fieldsV1, { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } });
  });

  test('the bytes written are the ones a full re-encoding gives', () => {
    const created = update(undefined, pod(), 'creator', t0);
    const stored = JSON.parse(JSON.stringify(created)) as KubeObject;
    const next = structuredClone(stored) as KubeObject & { status: any };
    next.status = { phase: 'Running' };
    const written = update(stored, next, 'kubelet', t1, 'status').metadata.managedFields;
    assert.equal(written?.length, 2);
    assert.equal(JSON.stringify(written), JSON.stringify(encodeManagedFields(decodeManagedFields(structuredClone(written)))));
  });
});
