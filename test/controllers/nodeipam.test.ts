// Node IPAM against a real API server: the range allocator's subnets, Nodes that already carry a
// podCIDR, exhaustion with CIDRNotAvailable, release on deletion, and a restart that learns what is
// in use from the Nodes alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster, eventually, run } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { CidrSet } from '../../src/controllers/nodeipam/cidr-set.js';
import { NodeIpamController } from '../../src/controllers/nodeipam/controller.js';
import { realClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { Node, KubeObject } from '../../src/api/types.js';
import { K8TS_BIN } from '../helpers/cli.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const EVENTS = ApiClient.resourceOf('v1', 'Event');

test('a CIDR set hands out subnets round robin, skips occupied ones and reuses released ones last', () => {
  const set = new CidrSet('10.30.0.0/22', 24);
  assert.equal(set.size, 4);
  assert.equal(set.occupy('10.30.1.0/24'), true);
  assert.equal(set.occupy('192.168.0.0/24'), false, 'outside the cluster CIDR');
  assert.equal(set.allocateNext(), '10.30.0.0/24');
  assert.equal(set.allocateNext(), '10.30.2.0/24');
  set.release('10.30.0.0/24');
  assert.equal(set.allocateNext(), '10.30.3.0/24', 'the next candidate comes before a released one');
  assert.equal(set.allocateNext(), '10.30.0.0/24');
  assert.equal(set.allocateNext(), undefined);
  assert.equal(set.available, 0);
  // A larger range (a Service CIDR overlapping the cluster's) takes every subnet it covers.
  const wide = new CidrSet('10.40.0.0/16', 24);
  wide.occupy('10.40.0.0/20');
  assert.equal(wide.available, 256 - 16);
  assert.equal(wide.allocateNext(), '10.40.16.0/24');
  assert.equal(wide.contains('10.40.3.0/24'), true);
  assert.equal(wide.contains('10.41.0.0/24'), false);
  assert.throws(() => new CidrSet('10.0.0.0/8', 28), /too big/);
  assert.throws(() => new CidrSet('10.0.0.0/24', 16), /invalid node CIDR mask size/);
  assert.throws(() => new CidrSet('10.0.0/16', 24), /invalid cluster CIDR/);
});

test('node IPAM allocates, honours existing podCIDRs, reports exhaustion, releases, and survives a restart', async (t) => {
  const cluster = await testCluster(t, { store: 'memory', clusterCidr: false });
  const client = cluster.client;
  const node = (name: string, podCIDR?: string) =>
    client.create<Node>(NODES, '', { metadata: { name }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} } as KubeObject);
  const podCidrOf = async (name: string) => (await client.get<Node>(NODES, '', name)).spec?.podCIDR;
  const start = async () => {
    const c = new NodeIpamController({ client, clock: realClock, log: silentLogger, clusterCidr: '10.30.0.0/22', nodeCidrMaskSize: 24 });
    t.after(() => c.stop());
    await c.start();
    return c;
  };

  await node('agent-own', '10.30.1.0/24'); // an agent's --pod-cidr inside the range
  await node('agent-outside', '10.99.0.0/24'); // and one outside it
  await node('early'); // registered before the controller ran
  const first = await start();

  assert.equal(await eventually(() => podCidrOf('early'), 10_000), '10.30.0.0/24');
  await node('second');
  await node('third');
  assert.equal(await eventually(() => podCidrOf('second'), 10_000), '10.30.2.0/24');
  assert.equal(await eventually(() => podCidrOf('third'), 10_000), '10.30.3.0/24');
  assert.equal(await podCidrOf('agent-own'), '10.30.1.0/24', 'an existing podCIDR is kept');
  assert.equal(await podCidrOf('agent-outside'), '10.99.0.0/24');

  await node('fourth');
  const event = await eventually(async () => {
    const events = await client.list<KubeObject & { reason?: string; message?: string; involvedObject?: { kind?: string; name?: string }; source?: { component?: string } }>(EVENTS);
    return events.items.find((e) => e.involvedObject?.name === 'fourth' && e.reason === 'CIDRNotAvailable');
  }, 10_000);
  assert.equal(event.involvedObject?.kind, 'Node');
  assert.equal(event.message, 'Node fourth status is now: CIDRNotAvailable');
  assert.equal(event.source?.component, 'cidrAllocator');
  assert.equal(await podCidrOf('fourth'), undefined);

  await client.delete(NODES, '', 'second');
  assert.equal(await eventually(() => podCidrOf('fourth'), 10_000), '10.30.2.0/24', 'a released subnet goes to the waiting node');

  // A new controller knows from the Nodes alone that the range is full.
  first.stop();
  await start();
  await node('fifth');
  await eventually(async () => {
    const events = await client.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(EVENTS);
    return events.items.some((e) => e.involvedObject?.name === 'fifth' && e.reason === 'CIDRNotAvailable');
  }, 10_000);
  assert.equal(await podCidrOf('fifth'), undefined);
  await client.delete(NODES, '', 'agent-own');
  assert.equal(await eventually(() => podCidrOf('fifth'), 10_000), '10.30.1.0/24', 'an agent-chosen subnet is free once its Node is gone');
});

test('k8ts server refuses a bad cluster CIDR or node mask size with a message', async () => {
  const k8ts = (args: string[]) => run(process.execPath, [K8TS_BIN, 'server', '--port', '0', '--store', 'memory', ...args]);
  const bad = await k8ts(['--cluster-cidr', '10.0.0/16']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^k8ts: invalid cluster CIDR "10\.0\.0\/16": want an IPv4 a\.b\.c\.d\/n \(--cluster-cidr, --node-cidr-mask-size\)$/m);
  const mask = await k8ts(['--node-cidr-mask-size', '12']);
  assert.equal(mask.code, 1);
  assert.match(mask.stderr, /^k8ts: invalid node CIDR mask size 12: must lie between the cluster CIDR's \/16 and \/30/m);
  const flag = await k8ts(['--allocate-node-cidrs', 'maybe']);
  assert.match(flag.stderr, /^k8ts: invalid --allocate-node-cidrs maybe: use true or false$/m);
});
