// Routes between nodes: which Nodes get a route, and the route keeper against a real API server
// with a route table whose failures the test controls (the kernel side is exercised by the
// multi-host e2e test): routes follow Nodes as they come, change and go, failures are retried, a
// restart removes the routes of Nodes that went away meanwhile, and stop removes them all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { NodeRoutes, routeTo, type PeerRoute } from '../../src/network/routes/index.js';
import { resolvePodCIDR } from '../../src/network/routes/pod-cidr.js';
import type { RouteTable } from '../../src/network/routes/kernel.js';
import { silentLogger } from '../../src/util/log.js';
import type { KubeObject, Node } from '../../src/api/types.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const self = { name: 'me', podCIDR: '10.50.0.0/24', addresses: ['192.168.50.10'] };

function node(name: string, podCIDR?: string, ip?: string): Node {
  return {
    metadata: { name },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status: ip ? { addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] } : {},
  } as Node;
}

test('a route goes to each other node with a pod CIDR and a routable InternalIP', () => {
  assert.deepEqual(routeTo(node('b', '10.50.1.0/24', '192.168.50.11'), self), { cidr: '10.50.1.0/24', via: '192.168.50.11' });
  assert.deepEqual(routeTo(node('b', '10.50.1.7/24', '192.168.50.11'), self), { cidr: '10.50.1.0/24', via: '192.168.50.11' }, 'normalized');
  assert.deepEqual(routeTo(node('me', '10.50.1.0/24', '192.168.50.11'), self), { skip: 'this node' });
  assert.deepEqual(routeTo(node('b', undefined, '192.168.50.11'), self), { skip: 'no IPv4 pod CIDR' });
  assert.deepEqual(routeTo(node('b', '10.50.1.0/24'), self), { skip: 'no IPv4 InternalIP' });
  assert.deepEqual(routeTo(node('sim', '10.50.2.0/24', '127.0.0.1'), self), { skip: 'loopback InternalIP' });
  assert.deepEqual(routeTo(node('b', '10.50.1.0/24', '192.168.50.10'), self), { skip: 'InternalIP is this node’s' });
  assert.match((routeTo(node('b', '10.50.0.0/16', '192.168.50.11'), self) as { skip: string }).skip, /overlaps/);
  // A pod CIDR a Node set for itself that takes in the hosts' own network is no pod subnet.
  assert.deepEqual(routeTo(node('b', '128.0.0.0/1', '192.168.50.11'), self), { skip: 'pod CIDR 128.0.0.0/1 holds the host address 192.168.50.11' });
  assert.deepEqual(routeTo(node('b', '192.168.50.0/28', '192.168.60.11'), self), { skip: 'pod CIDR 192.168.50.0/28 holds the host address 192.168.50.10' });
});

class FakeTable implements RouteTable {
  readonly routes = new Map<string, string>();
  failNext = 0;
  async replace(r: PeerRoute) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Nexthop has invalid gateway');
    }
    this.routes.set(r.cidr, r.via);
  }
  async delete(r: PeerRoute) {
    if (this.routes.get(r.cidr) === r.via) this.routes.delete(r.cidr);
  }
}

test('routes follow Nodes, retry failures, survive a restart and are removed on stop', async (t) => {
  const cluster = await testCluster(t, { store: 'memory', clusterCidr: false });
  const client = cluster.client;
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-routes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'routes.json');
  const table = new FakeTable();
  const peers: string[][] = [];
  const start = async () => {
    const r = new NodeRoutes({ client, self, stateFile, routes: table, onPeerSubnets: async (c) => void peers.push(c), log: silentLogger });
    t.after(() => r.stop());
    await r.start();
    return r;
  };
  const create = (n: Node) => client.create(NODES, '', n as KubeObject);

  await create(node('b', '10.50.1.0/24', '192.168.50.11'));
  await create(node('me', '10.50.0.0/24', '192.168.50.10'));
  const routes = await start();
  assert.deepEqual([...table.routes], [['10.50.1.0/24', '192.168.50.11']]);

  // A node registering without a subnet gets its route once IPAM has patched one in.
  await create(node('c', undefined, '192.168.50.12'));
  await client.patch(NODES, '', 'c', { spec: { podCIDR: '10.50.2.0/24', podCIDRs: ['10.50.2.0/24'] } });
  await eventually(() => table.routes.get('10.50.2.0/24') === '192.168.50.12', 10_000);
  await eventually(() => peers.at(-1)?.join() === '10.50.1.0/24,10.50.2.0/24', 10_000);

  // A changed address moves the route; a failing kernel is retried.
  table.failNext = 1;
  await client.patch(NODES, '', 'b', { status: { addresses: [{ type: 'InternalIP', address: '192.168.50.21' }] } }, 'merge', 'status');
  await eventually(() => table.routes.get('10.50.1.0/24') === '192.168.50.21', 10_000);
  assert.equal(table.failNext, 0, 'the failure happened');

  // A node deleted while this agent is down loses its route at the next start.
  await routes.stop();
  assert.equal(table.routes.size, 0, 'stop removes every route');
  assert.equal(existsSync(stateFile), false);
  await start().then((r) => r.stop());
  table.routes.set('10.50.2.0/24', '192.168.50.12'); // left by an agent that was killed
  const killed = await start();
  assert.equal(existsSync(stateFile), true);
  // Simulate a crash: forget the instance without stop(), keep the kernel's routes and the state file.
  (killed as unknown as { stopped: boolean }).stopped = true;
  await client.delete(NODES, '', 'c');
  const restarted = await start();
  await eventually(() => !table.routes.has('10.50.2.0/24'), 10_000);
  assert.equal(table.routes.get('10.50.1.0/24'), '192.168.50.21');

  // Stopping with the pods kept leaves their routes and the state for the next start.
  await restarted.stop({ keepRoutes: true });
  assert.equal(table.routes.get('10.50.1.0/24'), '192.168.50.21');
  assert.equal(existsSync(stateFile), true);
});

test('an agent takes its Node pod CIDR, waits for one, and refuses a different --pod-cidr', async (t) => {
  const cluster = await testCluster(t, { store: 'memory', clusterCidr: false });
  const client = cluster.client;
  // Waiting: the Node is registered so an allocator sees it; the subnet it then gets is used.
  const waiting = resolvePodCIDR({ client, nodeName: 'fresh', log: silentLogger });
  const registered = await eventually(() => client.get<Node>(NODES, '', 'fresh').catch(() => undefined), 10_000);
  assert.equal(registered.metadata.labels?.['kubernetes.io/hostname'], 'fresh');
  await client.patch(NODES, '', 'fresh', { spec: { podCIDR: '10.60.3.0/24', podCIDRs: ['10.60.3.0/24'] } });
  assert.equal(await waiting, '10.60.3.0/24');
  assert.equal(await resolvePodCIDR({ client, nodeName: 'fresh', requested: '10.60.3.0/24', log: silentLogger }), '10.60.3.0/24');
  await assert.rejects(resolvePodCIDR({ client, nodeName: 'fresh', requested: '10.60.4.0/24', log: silentLogger }), {
    name: 'PodCidrConflictError',
    message: 'node "fresh" already has pod CIDR 10.60.3.0/24, not 10.60.4.0/24: a Node\'s podCIDR cannot change (drop --pod-cidr, or delete the Node first)',
  });
  // A Node registered without a subnet takes the one asked for.
  await client.create(NODES, '', { metadata: { name: 'bare' } });
  assert.equal(await resolvePodCIDR({ client, nodeName: 'bare', requested: '10.60.5.0/24', log: silentLogger }), '10.60.5.0/24');
  assert.equal((await client.get<Node>(NODES, '', 'bare')).spec?.podCIDR, '10.60.5.0/24');
});
