import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayOf, parseCidr, subnetCidr } from '../../src/network/pod-network/cidr.js';
import { Ipam } from '../../src/network/pod-network/ipam.js';
import { hostVethName, networkNames } from '../../src/network/pod-network/names.js';
import { renderRules } from '../../src/network/pod-network/iptables.js';

test('pod CIDRs: network address, gateway, invalid input', () => {
  const subnet = parseCidr('10.201.3.77/24');
  assert.equal(subnetCidr(subnet), '10.201.3.0/24');
  assert.equal(gatewayOf(subnet), '10.201.3.1');
  assert.equal(subnet.size, 256);
  assert.throws(() => parseCidr('10.1.2.0'), /invalid pod CIDR/);
  assert.throws(() => parseCidr('10.1.2.300/24'), /invalid pod CIDR/);
  assert.throws(() => parseCidr('10.1.2.0/31'), /invalid pod CIDR/);
});

test('IPAM: one address per sandbox, persisted, reused last, exhausted with a clear error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-ipam-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pod-network.json');
  const subnet = parseCidr('10.202.0.0/29'); // .2 to .6 for pods
  const ipam = await Ipam.open(file, subnet, '10.202.0.0/29');
  const a = await ipam.allocate('a', [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }]);
  assert.equal(a.ip, '10.202.0.2');
  assert.equal((await ipam.allocate('a', [])).ip, '10.202.0.2');
  assert.equal((await ipam.allocate('b', [])).ip, '10.202.0.3');
  await ipam.release('a');
  assert.equal((await ipam.allocate('c', [])).ip, '10.202.0.4', 'a released address is reused as late as possible');

  const reopened = await Ipam.open(file, subnet, '10.202.0.0/29');
  assert.equal(reopened.get('b')?.ip, '10.202.0.3');
  assert.equal(reopened.get('a'), undefined);
  assert.deepEqual(reopened.entries().map(([owner]) => owner).sort(), ['b', 'c']);
  await reopened.allocate('d', []);
  await reopened.allocate('e', []);
  assert.equal((await reopened.allocate('f', [])).ip, '10.202.0.2');
  await assert.rejects(reopened.allocate('g', []), /no free address left in 10\.202\.0\.0\/29/);
  await assert.rejects(Ipam.open(file, parseCidr('10.203.0.0/24'), '10.203.0.0/24'), /is for 10\.202\.0\.0\/29/);
});

test('names: interface names fit in 15 characters and differ per cluster and sandbox', () => {
  const a = networkNames('cluster-a');
  const b = networkNames('cluster-b');
  assert.ok(a.bridge.length <= 15);
  assert.notEqual(a.bridge, b.bridge);
  assert.notEqual(a.hostPortChain, b.hostPortChain);
  const veth = hostVethName('cluster-a', 'sandbox-1');
  assert.ok(veth.length <= 15);
  assert.notEqual(veth, hostVethName('cluster-b', 'sandbox-1'));
  assert.notEqual(veth, hostVethName('cluster-a', 'sandbox-2'));
});

test('iptables rules: masquerade off the pod subnet, DNAT per host port, optional host IP', () => {
  const names = networkNames('cluster-a');
  const rules = renderRules(names, '10.204.1.0/24', [
    { podIp: '10.204.1.2', mapping: { protocol: 'TCP', containerPort: 8080, hostPort: 8001 } },
    { podIp: '10.204.1.3', mapping: { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' } },
  ]);
  assert.match(rules, new RegExp(`-A ${names.postroutingChain} -s 10\\.204\\.1\\.0/24 ! -d 10\\.204\\.1\\.0/24 -j MASQUERADE`));
  assert.match(rules, new RegExp(`-A ${names.hostPortChain} -p tcp -m tcp --dport 8001 -j DNAT --to-destination 10\\.204\\.1\\.2:8080`));
  assert.match(rules, new RegExp(`-A ${names.hostPortChain} -p udp -d 127\\.0\\.0\\.1/32 -m udp --dport 5353 -j DNAT --to-destination 10\\.204\\.1\\.3:53`));
  assert.match(rules, /^\*nat$[^]*^COMMIT$[^]*^\*filter$[^]*^COMMIT$/m);
});
