// The multi-host test harness itself: hosts as network namespaces reach each other and the root
// namespace over the test bridge, a cut link stops traffic and a restored one carries it again, and
// everything is gone after the test, processes included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createHosts, runCommand, type TestHosts } from '../helpers/hosts.js';

const root = process.getuid?.() === 0;

const ping = (net: TestHosts, from: string, to: string) => net.host(from).exec('busybox', ['ping', '-c', '1', '-W', '1', to]);

test('hosts in network namespaces talk over the test bridge; links cut and return; cleanup removes them', { skip: !root && 'needs root for network namespaces' }, async (t) => {
  let net: TestHosts | undefined;
  let sleeper: number | undefined;
  await t.test('inside', async (st) => {
    net = await createHosts(st, ['a', 'b'], { stopGraceMs: 2000 });
    const [a, b] = net.hosts as [TestHosts['hosts'][0], TestHosts['hosts'][0]];
    assert.notEqual(a.address, b.address);

    const addr = await a.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addr.stdout, new RegExp(`inet ${a.address.replace(/\./g, '\\.')}/24`));
    const route = await b.exec('ip', ['route', 'show', 'default']);
    assert.match(route.stdout, new RegExp(`default via ${net.gateway.replace(/\./g, '\\.')} dev eth0`));

    assert.equal((await ping(net, 'a', b.address)).code, 0, 'a reaches b');
    assert.equal((await ping(net, 'b', net.gateway)).code, 0, 'b reaches the root namespace');

    await b.disconnect();
    assert.notEqual((await ping(net, 'a', b.address)).code, 0, 'a cannot reach b after the cut');
    await b.reconnect();
    let back = false;
    for (let i = 0; i < 20 && !back; i++) back = (await ping(net, 'a', b.address)).code === 0;
    assert.ok(back, 'a reaches b again after reconnect');

    const child = a.spawn('sleep', ['600']);
    await new Promise((r) => child.once('spawn', r));
    sleeper = child.pid;
    // The child is `ip netns exec`, which enters the namespace only after the spawn event: wait for it.
    let netnsOfChild = '';
    for (let i = 0; i < 50 && netnsOfChild !== a.netns; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      netnsOfChild = (await runCommand('ip', ['netns', 'identify', String(child.pid)])).stdout.trim();
    }
    assert.equal(netnsOfChild, a.netns, 'spawned processes run inside the host');
  });

  assert.ok(net);
  const namespaces = await runCommand('ip', ['netns', 'list']);
  for (const h of net.hosts) assert.doesNotMatch(namespaces.stdout, new RegExp(`^${h.netns}\\b`, 'm'));
  assert.equal(existsSync(`/sys/class/net/${net.bridge}`), false, 'bridge removed');
  assert.ok(sleeper);
  assert.equal(existsSync(`/proc/${sleeper}`), false, 'spawned process stopped');
});
