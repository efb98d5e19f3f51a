import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/api/errors.js';
import { ApiClient } from '../../src/client/client.js';
import { controllerCluster, eventually, jobManifest, finishPod, waitForPods, JOBS, PODS, NODES } from './job-helpers.js';

const CM = ApiClient.resourceOf('v1', 'ConfigMap');
const NS = 'default';

function ownedBy(owner: KubeObject, kind = 'ConfigMap', apiVersion = 'v1', block = true) {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, ...(block ? { blockOwnerDeletion: true } : {}) };
}

async function gone(client: ApiClient, info: typeof CM, ns: string, name: string): Promise<boolean> {
  try {
    await client.get(info, ns, name);
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return true;
    throw err;
  }
}

describe('garbage collector', () => {
  test('background: dependents of a deleted owner are deleted, including across kinds and scopes', async (t) => {
    const c = await controllerCluster(t);
    const owner = await c.client.create(CM, NS, { metadata: { name: 'owner' } });
    await c.client.create(CM, NS, { metadata: { name: 'child', ownerReferences: [ownedBy(owner)] } });
    const grandchild = await c.client.create(CM, NS, { metadata: { name: 'grandchild', ownerReferences: [ownedBy(await c.client.get(CM, NS, 'child'))] } });
    const node = await c.client.create(NODES, '', { metadata: { name: 'n1' } });
    await c.client.create(CM, NS, { metadata: { name: 'of-node', ownerReferences: [ownedBy(node, 'Node')] } });
    await c.client.delete(CM, NS, 'owner');
    await eventually(async () => (await gone(c.client, CM, NS, 'child')) && (await gone(c.client, CM, NS, 'grandchild')));
    assert.ok(grandchild.metadata.uid);
    assert.equal(await gone(c.client, CM, NS, 'of-node'), false);
    await c.client.delete(NODES, '', 'n1');
    await eventually(() => gone(c.client, CM, NS, 'of-node'));
  });

  test('foreground: the owner stays, with the foregroundDeletion finalizer, until blocking dependents are gone', async (t) => {
    const c = await controllerCluster(t);
    const owner = await c.client.create(CM, NS, { metadata: { name: 'fg-owner' } });
    await c.client.create(CM, NS, { metadata: { name: 'fg-held', finalizers: ['example.com/hold'], ownerReferences: [ownedBy(owner)] } });
    await c.client.create(CM, NS, { metadata: { name: 'fg-loose', ownerReferences: [ownedBy(owner, 'ConfigMap', 'v1', false)] } });
    await c.client.delete(CM, NS, 'fg-owner', { propagationPolicy: 'Foreground' });
    const held = await eventually(async () => {
      const d = await c.client.get(CM, NS, 'fg-held');
      return d.metadata.deletionTimestamp ? d : undefined;
    });
    assert.deepEqual(held.metadata.finalizers, ['example.com/hold']);
    await eventually(() => gone(c.client, CM, NS, 'fg-loose'));
    const waiting = await c.client.get(CM, NS, 'fg-owner');
    assert.ok(waiting.metadata.deletionTimestamp);
    assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
    await c.client.patch(CM, NS, 'fg-held', { metadata: { finalizers: null } });
    await eventually(() => gone(c.client, CM, NS, 'fg-owner'));
  });

  test('orphan: dependents lose the reference and stay; the owner goes', async (t) => {
    const c = await controllerCluster(t);
    const owner = await c.client.create(CM, NS, { metadata: { name: 'or-owner' } });
    const other = await c.client.create(CM, NS, { metadata: { name: 'or-other' } });
    await c.client.create(CM, NS, { metadata: { name: 'or-child', ownerReferences: [ownedBy(owner), ownedBy(other)] } });
    await c.client.delete(CM, NS, 'or-owner', { propagationPolicy: 'Orphan' });
    await eventually(() => gone(c.client, CM, NS, 'or-owner'));
    const child = await c.client.get(CM, NS, 'or-child');
    assert.deepEqual(child.metadata.ownerReferences, [ownedBy(other)]);
  });

  test('references to owners that never existed: collected, or dropped when a live owner remains', async (t) => {
    const c = await controllerCluster(t);
    const live = await c.client.create(CM, NS, { metadata: { name: 'live' } });
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' };
    await c.client.create(CM, NS, { metadata: { name: 'dangling', ownerReferences: [ghost] } });
    await c.client.create(CM, NS, { metadata: { name: 'half', ownerReferences: [ghost, ownedBy(live)] } });
    // An owner of the same name but another uid is not the owner.
    await c.client.create(CM, NS, { metadata: { name: 'impostor' } });
    await c.client.create(CM, NS, { metadata: { name: 'of-impostor', ownerReferences: [{ ...ghost, name: 'impostor' }] } });
    await eventually(async () => (await gone(c.client, CM, NS, 'dangling')) && (await gone(c.client, CM, NS, 'of-impostor')));
    const half = await eventually(async () => {
      const h = await c.client.get(CM, NS, 'half');
      return h.metadata.ownerReferences?.length === 1 ? h : undefined;
    });
    assert.equal(half.metadata.ownerReferences![0]!.uid, live.metadata.uid);
    assert.equal(await gone(c.client, CM, NS, 'impostor'), false);
  });

  test('a finished Job with ttlSecondsAfterFinished is deleted with its pods after the TTL', async (t) => {
    const c = await controllerCluster(t);
    await c.client.create(JOBS, NS, jobManifest('ttl', { ttlSecondsAfterFinished: 30 }));
    const [pod] = await waitForPods(c.client, NS, 'batch.kubernetes.io/job-name=ttl', 1);
    await finishPod(c.client, c.clock, pod!, 0);
    await eventually(async () => ((await c.client.get(JOBS, NS, 'ttl')) as any).status?.completionTime);
    await c.clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await gone(c.client, JOBS, NS, 'ttl'), false);
    await c.clock.advance(1_000);
    await eventually(async () => (await gone(c.client, JOBS, NS, 'ttl')) && (await gone(c.client, PODS, NS, pod!.metadata.name!)));
  });
});
