// The pod network of a foreign CNI, learned from `ip -j route get` and the interface's routes (a
// scripted `ip`), several subnets learned in order and announced once each, and the proxy's rules
// for what was learned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, kernelRouteToPod, PodNetworkLearner, type CommandRunner, type LearnedPodNetwork, type PodRoute } from '../../src/network/routes/learned-pod-network.js';
import { renderRules } from '../../src/network/proxy/rules.js';
import { jumps } from '../../src/network/proxy/iptables.js';
import { proxyChains } from '../../src/network/proxy/names.js';
import type { ServicePortPlan } from '../../src/network/proxy/plan.js';
import { silentLogger, type Logger } from '../../src/util/log.js';

/** An `ip` that answers from a table of argument lines, recording what it was asked. */
function scriptedIp(answers: Record<string, unknown>): { command: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const command: CommandRunner = async (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    if (!(line in answers)) throw new Error(`unexpected command: ${line}`);
    return JSON.stringify(answers[line]);
  };
  return { command, calls };
}

test('a bridge CNI: the route get names the bridge and source, the bridge route gives the subnet', async () => {
  const ip = scriptedIp({
    'ip -j -4 route get 10.88.0.7': [{ dst: '10.88.0.7', dev: 'cni0', prefsrc: '10.88.0.1', flags: [], uid: 0, cache: [] }],
    'ip -j -4 route show dev cni0': [
      { dst: 'default', gateway: '10.88.0.254', flags: [] },
      { dst: '10.0.0.0/8', gateway: '10.88.0.254', flags: [] },
      { dst: '10.88.0.0/16', protocol: 'kernel', scope: 'link', prefsrc: '10.88.0.1', flags: [] },
      { dst: '10.88.0.5/24', scope: 'link', flags: [] },
      { dst: '10.89.0.0/24', scope: 'link', flags: [] },
    ],
  });
  // The longest directly attached route that holds the address, its base normalized; gateways and default ignored.
  assert.deepEqual(await kernelRouteToPod('10.88.0.7', ip.command), { cidr: '10.88.0.0/24', dev: 'cni0', hostAddress: '10.88.0.1' });
  assert.deepEqual(ip.calls, ['ip -j -4 route get 10.88.0.7', 'ip -j -4 route show dev cni0']);
});

test('a point-to-point CNI: a host route per pod; behind a gateway: the address alone; local addresses: nothing', async () => {
  const ip = scriptedIp({
    'ip -j -4 route get 192.168.3.4': [{ dst: '192.168.3.4', dev: 'cali1a2b', prefsrc: '192.0.2.2', flags: [] }],
    'ip -j -4 route show dev cali1a2b': [{ dst: '192.168.3.4', scope: 'link', flags: [] }],
    'ip -j -4 route get 172.20.1.9': [{ dst: '172.20.1.9', gateway: '192.0.2.1', dev: 'eth0', flags: [] }],
    'ip -j -4 route show dev eth0': [
      { dst: 'default', gateway: '192.0.2.1', dev: 'eth0', flags: [] },
      { dst: '172.20.0.0/16', gateway: '192.0.2.1', flags: [] },
      { dst: '192.0.2.0/24', protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.2', flags: [] },
    ],
    'ip -j -4 route get 192.0.2.2': [{ type: 'local', dst: '192.0.2.2', dev: 'lo', prefsrc: '192.0.2.2', flags: [], cache: ['local'] }],
    'ip -j -4 route get 10.1.1.1': [],
  });
  assert.deepEqual(await kernelRouteToPod('192.168.3.4', ip.command), { cidr: '192.168.3.4/32', dev: 'cali1a2b', hostAddress: '192.0.2.2' });
  assert.deepEqual(await kernelRouteToPod('172.20.1.9', ip.command), { cidr: '172.20.1.9/32', dev: 'eth0' });
  // A host-network sandbox's address is the node's own.
  assert.equal(await kernelRouteToPod('192.0.2.2', ip.command), undefined);
  assert.equal(await kernelRouteToPod('10.1.1.1', ip.command), undefined);
  assert.ok(!ip.calls.includes('ip -j -4 route show dev lo'), 'no routes read for a local address');
});

test('cidrContains: prefix boundaries and bare addresses', () => {
  assert.equal(cidrContains('10.88.0.0/24', '10.88.0.255'), true);
  assert.equal(cidrContains('10.88.0.0/24', '10.88.1.0'), false);
  assert.equal(cidrContains('10.0.0.0/8', '10.255.255.255'), true);
  assert.equal(cidrContains('0.0.0.0/0', '203.0.113.9'), true);
  assert.equal(cidrContains('10.1.2.3', '10.1.2.3'), true);
  assert.equal(cidrContains('10.1.2.3', '10.1.2.4'), false);
});

/** A learner on a route table (address prefix → route), counting lookups and recording announcements. */
function learnerOn(table: [prefix: string, route: PodRoute | Error][], log: Logger = silentLogger) {
  const lookups: string[] = [];
  const heard: LearnedPodNetwork[] = [];
  const learner = new PodNetworkLearner({
    lookup: async (ip) => {
      lookups.push(ip);
      const hit = table.find(([prefix]) => ip.startsWith(prefix))?.[1];
      if (hit instanceof Error) throw hit;
      return hit;
    },
    log,
  });
  learner.onChange(async (network) => {
    heard.push(network);
  });
  return { learner, lookups, heard };
}

test('several subnets are learned in order, each announced once; addresses already covered are not looked up', async () => {
  const { learner, lookups, heard } = learnerOn([
    ['10.88.0.', { cidr: '10.88.0.0/24', dev: 'cni0', hostAddress: '10.88.0.1' }],
    ['10.89.0.', { cidr: '10.89.0.0/24', dev: 'cni1', hostAddress: '10.89.0.1' }],
    ['192.168.3.', { cidr: '192.168.3.0/26', dev: 'cni0' }],
  ]);
  assert.deepEqual(learner.current, { cidrs: [], interfaces: [], hostAddresses: [] });
  await learner.observe(['10.88.0.2', '10.88.0.3', 'fd00::2', '']);
  assert.deepEqual(lookups, ['10.88.0.2'], 'the second address is in the subnet just learned; IPv6 and empty ones are skipped');
  await learner.observe(['10.88.0.9']);
  assert.equal(heard.length, 1, 'nothing new, nothing announced');
  await learner.observe(['10.89.0.4', '192.168.3.7']);
  assert.deepEqual(lookups, ['10.88.0.2', '10.89.0.4', '192.168.3.7']);
  assert.equal(heard.length, 2, 'one announcement per observation that changed something');
  const all = { cidrs: ['10.88.0.0/24', '10.89.0.0/24', '192.168.3.0/26'], interfaces: ['cni0', 'cni1'], hostAddresses: ['10.88.0.1', '10.89.0.1'] };
  assert.deepEqual(heard[0], { cidrs: ['10.88.0.0/24'], interfaces: ['cni0'], hostAddresses: ['10.88.0.1'] });
  assert.deepEqual(heard[1], all);
  assert.deepEqual(learner.current, all);
});

test('observations are serialized: concurrent ones look up and announce one after the other', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const order: string[] = [];
  const learner = new PodNetworkLearner({
    lookup: async (ip) => {
      order.push(`lookup ${ip}`);
      if (ip === '10.88.0.2') await gate;
      return { cidr: `${ip.split('.').slice(0, 3).join('.')}.0/24`, dev: 'cni0' };
    },
    log: silentLogger,
  });
  learner.onChange(async (n) => {
    order.push(`heard ${n.cidrs.join(',')}`);
  });
  const first = learner.observe(['10.88.0.2']);
  const second = learner.observe(['10.88.0.3', '10.90.0.3']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['lookup 10.88.0.2'], 'the second waits for the first');
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['lookup 10.88.0.2', 'heard 10.88.0.0/24', 'lookup 10.90.0.3', 'heard 10.88.0.0/24,10.90.0.0/24']);
});

test('a failed lookup or listener is logged and does not stop learning', async () => {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message), child: () => log };
  const { learner, lookups, heard } = learnerOn(
    [
      ['10.88.0.', new Error('ip: no such device')],
      ['10.89.0.', { cidr: '10.89.0.0/24', dev: 'cni1' }],
    ],
    log,
  );
  learner.onChange(async () => {
    throw new Error('iptables-restore: resource busy');
  });
  await learner.observe(['10.88.0.2', '10.89.0.2']);
  assert.deepEqual(learner.current.cidrs, ['10.89.0.0/24']);
  assert.equal(heard.length, 1, 'the other listener still heard of it');
  assert.deepEqual(warnings, ['cannot find the route to a pod address', 'could not apply the learned pod network']);
  // The address whose lookup failed is tried again when seen again.
  await learner.observe(['10.88.0.2']);
  assert.deepEqual(lookups, ['10.88.0.2', '10.89.0.2', '10.88.0.2']);
  assert.deepEqual(learner.current.cidrs, ['10.89.0.0/24']);
});

test('the proxy rules for a learned network: pods dispatched from their subnets on any interface, others masqueraded', async () => {
  const chains = proxyChains('learned-test');
  const { learner } = learnerOn([
    ['10.88.0.', { cidr: '10.88.0.0/24', dev: 'cni0', hostAddress: '10.88.0.1' }],
    ['10.89.0.', { cidr: '10.89.0.0/24', dev: 'cni1', hostAddress: '10.89.0.1' }],
  ]);
  const plan: ServicePortPlan = { key: 'default/web:http/tcp', protocol: 'tcp', clusterIPs: ['10.96.0.20'], port: 80, endpoints: [{ ip: '10.88.0.2', port: 8080 }] };
  const nat = (cidrs: string[]) => {
    const text = renderRules(chains, [plan], [], { podCIDRs: cidrs }).text;
    return text.slice(text.indexOf('*nat'), text.indexOf('COMMIT')).split('\n');
  };

  // Before any pod: every ClusterIP connection is masqueraded and nothing enters from PREROUTING.
  const none = nat(learner.current.cidrs);
  assert.ok(none.includes(`-A ${chains.services} -m comment --comment "default/web:http/tcp" -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j ${chains.markMasquerade}`), none.join('\n'));
  assert.ok(!none.some((l) => l.startsWith(`-A ${chains.fromPods} `)));

  await learner.observe(['10.88.0.2']);
  const one = nat(learner.current.cidrs);
  assert.ok(one.includes(`-A ${chains.fromPods} -s 10.88.0.0/24 -j ${chains.services}`), one.join('\n'));
  assert.ok(one.includes(`-A ${chains.services} -m comment --comment "default/web:http/tcp" -d 10.96.0.20/32 -p tcp -m tcp --dport 80 ! -s 10.88.0.0/24 -j ${chains.markMasquerade}`), one.join('\n'));

  await learner.observe(['10.89.0.2']);
  const two = nat(learner.current.cidrs);
  for (const cidr of ['10.88.0.0/24', '10.89.0.0/24']) {
    assert.ok(two.includes(`-A ${chains.fromPods} -s ${cidr} -j ${chains.services}`), two.join('\n'));
    assert.ok(two.includes(`-A ${chains.markExternal} -s ${cidr} -j RETURN`), two.join('\n'));
  }
  assert.ok(two.indexOf(`-A ${chains.markExternal} -j ${chains.markMasquerade}`) > two.indexOf(`-A ${chains.markExternal} -s 10.89.0.0/24 -j RETURN`), 'the mark comes after the subnets return');
  assert.ok(two.includes(`-A ${chains.services} -m comment --comment "default/web:http/tcp" -d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j ${chains.markExternal}`), two.join('\n'));

  // PREROUTING jumps to the pods' chain (not the services' on one interface) and node ports by destination.
  const prerouting = jumps(chains, { podSubnets: learner.current.cidrs }).filter((j) => j.chain === 'PREROUTING');
  assert.deepEqual(
    prerouting.map((j) => [j.target, j.matches.join(' ')]),
    [
      [chains.fromPods, '-m comment --comment "k8ts service portals for pods"'],
      [chains.nodePorts, '-m addrtype --dst-type LOCAL -m comment --comment "k8ts node ports"'],
    ],
  );
  assert.ok(!jumps(chains, { podSubnets: learner.current.cidrs }).some((j) => j.matches.includes('-i')), 'no interface named');
});
