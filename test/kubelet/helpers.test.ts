import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expand } from '../../src/kubelet/env.js';
import { formatGoDuration, Backoff } from '../../src/kubelet/backoff.js';
import { defaultPullPolicy } from '../../src/kubelet/images.js';
import { podHostnameAndDomain, podDnsConfig } from '../../src/kubelet/sandbox.js';
import { FakeClock } from '../../src/util/clock.js';
import { makePod } from './harness.js';

test('$(VAR) expansion: known names, $$ escapes, unknown and unterminated references stay', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const look = (n: string) => vars[n];
  assert.equal(expand('$(A)-$(B)', look), 'x-y');
  assert.equal(expand('$$(A)', look), '$(A)');
  assert.equal(expand('$(C) $(A', look), '$(C) $(A');
  assert.equal(expand('cost: $5 $', look), 'cost: $5 $');
});

test('§3.3 §9.3 Go duration text for back-off messages and pull times', () => {
  assert.deepEqual([10_000, 80_000, 160_000, 300_000, 0, 250, 1500, 3_600_000].map(formatGoDuration), ['10s', '1m20s', '2m40s', '5m0s', '0s', '250ms', '1.5s', '1h0m0s']);
});

test('§5.3 back-off doubles to the cap and expires after a long quiet period', async () => {
  const clock = new FakeClock();
  const b = new Backoff(clock, 10_000, 40_000, 600_000);
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    b.next('k', clock.now());
    delays.push(b.get('k'));
  }
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 40_000]);
  assert.equal(b.isInBackOffSince('k', clock.now()), true);
  await clock.advance(40_000);
  assert.equal(b.isInBackOffSince('k', clock.now() - 40_000), false);
  await clock.advance(600_001);
  b.next('k', clock.now());
  assert.equal(b.get('k'), 10_000);
});

test('default pull policy: latest or untagged ⇒ Always, tags and digests ⇒ IfNotPresent', () => {
  assert.deepEqual(
    ['nginx', 'nginx:latest', 'busybox:1.28', 'registry:5000/app', 'app@sha256:abc'].map(defaultPullPolicy),
    ['Always', 'Always', 'IfNotPresent', 'Always', 'IfNotPresent'],
  );
});

test('hostname, subdomain and DNS by policy', () => {
  const pod = makePod(`${'a'.repeat(62)}-b-x`, { containers: [{ name: 'c', image: 'i' }] });
  assert.equal(podHostnameAndDomain(pod, 'cluster.local').hostname, `${'a'.repeat(62)}`);
  const ctx = { clusterDomain: 'cluster.local', logRoot: '/l', clusterDns: { servers: ['10.96.0.10'], searches: [], options: [] } };
  assert.equal(podDnsConfig({ ...pod, spec: { ...pod.spec, hostNetwork: true } }, ctx), undefined);
  assert.deepEqual(podDnsConfig({ ...pod, spec: { ...pod.spec, dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] } } }, ctx), {
    servers: ['1.1.1.1'],
    searches: [],
    options: ['ndots:2'],
  });
  assert.deepEqual(podDnsConfig(pod, ctx)?.searches, ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
});
