// Several API servers on one store: a concurrent bootstrap, the `kubernetes` endpoints as the
// union of live servers' leases (in virtual time, each server on a clock of its own), and the
// refusal of a server whose CA differs from the cluster's.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { MemoryStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { CacheHub } from '../../src/apiserver/watch-cache.js';
import { Registry } from '../../src/apiserver/registry.js';
import { REGISTRY_PREFIX, resourcePrefix } from '../../src/apiserver/storage-keys.js';
import { resources } from '../../src/api/resources.js';
import { bootstrap, claimClusterIdentity, clusterIdentityOf, ClusterIdentityMismatchError, SYSTEM_NAMESPACES } from '../../src/apiserver/bootstrap.js';
import { LeaseEndpointReconciler, MASTER_LEASES_PREFIX } from '../../src/apiserver/endpoint-reconciler.js';
import { ensurePki } from '../../src/apiserver/pki.js';
import { ServiceAccountTokens } from '../../src/apiserver/service-account-tokens.js';
import { FakeClock } from '../../src/util/clock.js';

type After = { after(fn: () => unknown): unknown };

/** One API server's registry (and watch cache) over a shared store. */
async function apiServerOn(t: After, store: Store, clock = new FakeClock()): Promise<Registry> {
  const hub = new CacheHub(store, REGISTRY_PREFIX);
  for (const r of resources) hub.cache(resourcePrefix(r));
  await hub.start();
  t.after(() => hub.stop());
  return new Registry(store, hub, clock, '10.96.0.0/12');
}

async function endpointsOf(registry: Registry) {
  const ep = (await registry.current(registry.resourceByKind('v1', 'Endpoints'), 'default', 'kubernetes'))?.object as any;
  const slice = (await registry.current(registry.resourceByKind('discovery.k8s.io/v1', 'EndpointSlice'), 'default', 'kubernetes'))?.object as any;
  return {
    endpoints: (ep?.subsets ?? []).flatMap((s: any) => s.addresses.map((a: any) => `${a.ip}:${s.ports[0].port}`)),
    slice: (slice?.endpoints ?? []).map((e: any) => e.addresses[0]),
    slicePorts: (slice?.ports ?? []).map((p: any) => p.port),
  };
}

describe('several API servers on one store', () => {
  test('bootstraps run at the same moment by three servers all succeed, creating each object once', async (t) => {
    for (let round = 0; round < 5; round++) {
      const store = new MemoryStore();
      t.after(() => store.close());
      const servers = await Promise.all([apiServerOn(t, store), apiServerOn(t, store), apiServerOn(t, store)]);
      await Promise.all(servers.map((r) => bootstrap(r, { port: 6443 })));
      const namespaces = await store.range('/registry/core/namespaces/');
      assert.deepEqual(namespaces.kvs.map((kv) => kv.key.split('/').pop()).sort(), [...SYSTEM_NAMESPACES].sort());
      const services = await store.range('/registry/core/services/');
      assert.equal(services.kvs.length, 1);
      assert.equal(JSON.parse(services.kvs[0]!.value).spec.clusterIP, '10.96.0.1');
    }
  });

  test('the kubernetes endpoints list every live server, drop a vanished one after the lease TTL, and a stopped one at once', async (t) => {
    const store = new MemoryStore();
    t.after(() => store.close());
    const clocks = [new FakeClock(), new FakeClock(), new FakeClock()];
    const registries = await Promise.all(clocks.map((c) => apiServerOn(t, store, c)));
    await bootstrap(registries[0]!, { port: 6443 });
    const [a, b, c] = ['10.0.0.12', '10.0.0.2', '10.0.0.3'].map(
      (ip, i) => new LeaseEndpointReconciler({ registry: registries[i]!, clock: clocks[i]!, ip, port: 6443 }),
    );
    t.after(() => Promise.all([a!.stop(), b!.stop(), c!.stop()]));
    await a!.start();
    assert.deepEqual((await endpointsOf(registries[0]!)).endpoints, ['10.0.0.12:6443']);
    await b!.start();
    await c!.start();
    const all = await endpointsOf(registries[1]!);
    assert.deepEqual(all.endpoints, ['10.0.0.2:6443', '10.0.0.3:6443', '10.0.0.12:6443'], 'sorted as addresses, not as text');
    assert.deepEqual(all.slice, ['10.0.0.2', '10.0.0.3', '10.0.0.12']);
    assert.deepEqual(all.slicePorts, [6443]);

    // Server c vanishes: its clock no longer moves, so its lease is never renewed.
    const advanceLive = async (ms: number) => {
      await Promise.all([clocks[0]!.advance(ms), clocks[1]!.advance(ms)]);
      await a!.reconcile();
      await b!.reconcile();
    };
    // The survivors first see c's lease at their first reconcile after it was written (t = 10 s):
    // its TTL runs from there, on their own clocks.
    await advanceLive(10_000);
    assert.equal((await endpointsOf(registries[0]!)).endpoints.length, 3, 'listed when first seen');
    await advanceLive(10_000);
    assert.equal((await endpointsOf(registries[0]!)).endpoints.length, 3, 'still listed 10 s after it was last seen to change');
    await advanceLive(10_000);
    const afterTtl = await endpointsOf(registries[0]!);
    assert.deepEqual(afterTtl.endpoints, ['10.0.0.2:6443', '10.0.0.12:6443']);
    assert.deepEqual(afterTtl.slice, ['10.0.0.2', '10.0.0.12']);
    assert.equal((await store.get(`${MASTER_LEASES_PREFIX}10.0.0.3`)), undefined, "the expired lease is deleted");

    // Server b stops gracefully: removed at once, without waiting for the TTL.
    await b!.stop();
    assert.deepEqual((await endpointsOf(registries[0]!)).endpoints, ['10.0.0.12:6443']);
    await advanceLive(10_000);
    assert.deepEqual((await endpointsOf(registries[0]!)).endpoints, ['10.0.0.12:6443'], 'the survivor keeps itself listed');
  });

  test('a server whose CA or service-account key differs from the cluster recorded in the store is refused', async (t) => {
    const store = new MemoryStore();
    t.after(() => store.close());
    const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'k8ts-pki-')));
    t.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const identities = [];
    for (const dir of dirs) {
      const pki = await ensurePki(dir, ['127.0.0.1']);
      new ServiceAccountTokens(join(dir, 'service-account.key'));
      identities.push(clusterIdentityOf(pki.ca.certPem, join(dir, 'service-account.key')));
    }
    await Promise.all([claimClusterIdentity(store, identities[0]!, dirs[0]!), claimClusterIdentity(store, identities[0]!, dirs[0]!)]);
    await assert.rejects(claimClusterIdentity(store, identities[1]!, dirs[1]!), (err: Error) => {
      assert.ok(err instanceof ClusterIdentityMismatchError);
      assert.match(err.message, /this store belongs to a cluster with another CA \(sha256:[0-9a-f]{64}; this server has sha256:[0-9a-f]{64} in .*\): .*copy the pki directory/);
      return true;
    });
    await assert.rejects(claimClusterIdentity(store, { ...identities[0]!, serviceAccountKeyHash: identities[1]!.serviceAccountKeyHash }, dirs[1]!), /another service-account signing key/);
  });
});
