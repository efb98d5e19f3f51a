// The cluster's own elections: a lone server takes both Leases at once, runs its components, and
// releases the Leases when it stops; with --leader-elect=false there are none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, hostname } from 'node:os';
import { startCluster, type Cluster } from '../../src/cluster.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { ApiClient } from '../../src/client/client.js';
import type { Lease } from '../../src/leaderelection/index.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { eventually } from '../helpers/cluster.js';

const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const IDENTITY = new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);

test('a lone server leads kube-scheduler and kube-controller-manager from its start and releases both on stop', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'k8ts-leases-'));
  let started: Cluster | undefined;
  let stopped = false;
  let opened: Store | undefined;
  // One cleanup, registered first: the server stops and the store closes before the directory goes.
  t.after(async () => {
    if (started && !stopped) await started.stop();
    await opened?.close();
    await safeRemove(dataDir, { unmount: true });
  });
  const cluster = await startCluster({ dataDir, store: 'sqlite' });
  started = cluster;

  assert.equal(cluster.controlPlane.scheduler.leading, true);
  assert.equal(cluster.controlPlane.controllerManager.leading, true);
  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    const lease = await cluster.client.get<Lease>(LEASES, 'kube-system', name);
    assert.match(lease.spec!.holderIdentity!, IDENTITY);
    assert.equal(lease.spec?.leaseDurationSeconds, 15);
    assert.equal(lease.spec?.leaseTransitions, 0);
  }
  const schedulerIdentity = cluster.controlPlane.scheduler.identity;
  assert.equal((await cluster.client.get<Lease>(LEASES, 'kube-system', 'kube-scheduler')).spec?.holderIdentity, schedulerIdentity);
  assert.notEqual(schedulerIdentity, cluster.controlPlane.controllerManager.identity, 'each component campaigns with an identity of its own');

  // The controllers run: a namespace gets its default ServiceAccount.
  await cluster.client.create(ApiClient.resourceOf('v1', 'Namespace'), '', { metadata: { name: 'leases-check' } });
  const sa = ApiClient.resourceOf('v1', 'ServiceAccount');
  await eventually(() => cluster.client.get(sa, 'leases-check', 'default'), 30_000, 50, 'the default ServiceAccount of leases-check');

  const events = await waitForEvents(cluster.client, 2);
  const messages = events.map((e: any) => `${e.source.component}: ${e.message}`).sort();
  assert.deepEqual(messages, [`default-scheduler: ${schedulerIdentity} became leader`, `kube-controller-manager: ${cluster.controlPlane.controllerManager.identity} became leader`].sort());

  await cluster.stop();
  stopped = true;
  const store = await openStore({ backend: 'sqlite', path: join(dataDir, 'store') });
  opened = store;
  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    const kv = await store.get(`/registry/coordination.k8s.io/leases/kube-system/${name}`);
    const spec = JSON.parse(kv!.value).spec;
    assert.equal(spec.holderIdentity, '', `${name} released`);
    assert.equal(spec.leaseDurationSeconds, 1);
  }
});

test('without leader election the components run and no Lease is taken', async (t) => {
  const cluster = await startCluster({ store: 'memory', leaderElect: false });
  t.after(() => cluster.stop());
  assert.equal(cluster.controlPlane.scheduler.leading, true);
  assert.equal(cluster.controlPlane.controllerManager.leading, true);
  const leases = await cluster.client.list(LEASES, 'kube-system');
  assert.deepEqual(leases.items.map((l) => l.metadata.name), []);
});

/** The LeaderElection events in kube-system, once there are at least `count`. */
async function waitForEvents(client: ApiClient, count: number): Promise<any[]> {
  return eventually(async () => {
    const items = (await client.list<any>(EVENTS, 'kube-system')).items.filter((e) => e.reason === 'LeaderElection');
    return items.length >= count ? items : undefined;
  }, 30_000, 50, `${count} LeaderElection events`);
}

test('a server killed without releasing its Leases takes them back on restart: same holder, no transition', async (t) => {
  const { startK8tsServer, tempDir, clientFromKubeconfig } = await import('../helpers/cli.js');
  const dataDir = tempDir(t, 'k8ts-leases-restart-');
  const args = ['--data-dir', dataDir, '--write-kubeconfig=false'];
  const holders = async () => {
    const client = clientFromKubeconfig(join(dataDir, 'kubeconfig'));
    try {
      const specs: Record<string, { holder: string; transitions: number; renewed: number }> = {};
      for (const name of ['kube-scheduler', 'kube-controller-manager']) {
        const spec = (await client.get<Lease>(LEASES, 'kube-system', name)).spec!;
        specs[name] = { holder: spec.holderIdentity!, transitions: spec.leaseTransitions!, renewed: Date.parse(spec.renewTime!) };
      }
      return specs;
    } finally {
      client.close();
    }
  };

  const first = await startK8tsServer(t, args);
  const before = await holders();
  assert.match(before['kube-scheduler']!.holder, IDENTITY);
  await first.stop('SIGKILL');
  const killedAt = Date.now();

  const second = await startK8tsServer(t, args);
  const after = await holders();
  await second.stop('SIGTERM');
  for (const name of ['kube-scheduler', 'kube-controller-manager']) {
    assert.equal(after[name]!.holder, before[name]!.holder, `${name}: the same identity`);
    assert.equal(after[name]!.transitions, before[name]!.transitions, `${name}: no change of holder`);
    assert.ok(after[name]!.renewed > killedAt, `${name}: renewed by the restarted server at its start, not left to expire`);
  }
});
