// Cluster DNS over UDP and TCP on loopback: records derived from Services, EndpointSlices and pods
// through a real API (the cluster's controllers write the slices), NXDOMAIN with the SOA, empty non-terminals,
// forwarding to a fake upstream, truncation, and the wire-level edge cases.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import * as dns from 'dns-packet';
import { testCluster, eventually, type TestCluster } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { ClusterDns } from '../../src/network/dns/cluster-dns.js';
import { Zone } from '../../src/network/dns/zone.js';
import { Resolver } from '../../src/network/dns/resolver.js';
import { DnsServer } from '../../src/network/dns/server.js';
import { Forwarder } from '../../src/network/dns/forwarder.js';
import { reverseName } from '../../src/network/dns/records.js';
import { parseResolvConf } from '../../src/network/dns/forwarder.js';
import { silentLogger } from '../../src/util/log.js';
import { query, answersOf, fakeUpstream } from './dns-client.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

describe('cluster DNS fed by the API', () => {
  let k: TestCluster;
  let server: ClusterDns;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { store: 'memory', serviceCidr: '10.100.0.0/16' });
    upstream = await fakeUpstream({ 'example.test': '192.0.2.7', 'target.example.test': '192.0.2.8' });
    cleanups.push(() => upstream.close());
    server = new ClusterDns({ client: k.client, host: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: upstream.port }], forwardTimeoutMs: 500, log: silentLogger });
    await server.start();
    cleanups.push(() => server.stop());

    await eventually(() => k.client.get(ApiClient.resourceOf('v1', 'ServiceAccount'), 'default', 'default'));
    await k.client.create(SERVICES, 'default', {
      metadata: { name: 'web' },
      spec: { clusterIP: '10.100.0.50', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    });
    await k.client.create(SERVICES, 'default', {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] },
    });
    await k.client.create(SERVICES, 'default', { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'target.example.test' } });
    for (const [name, ip, extra] of [
      ['db-0', '10.9.0.2', { hostname: 'db-0', subdomain: 'db' }],
      ['db-1', '10.9.0.3', {}],
      ['db-x', '10.9.0.4', {}],
    ] as const) {
      await k.client.create(PODS, 'default', { metadata: { name, labels: { app: 'db' } }, spec: { nodeName: 'n', containers: [{ name: 'c', image: 'i' }], ...extra } });
      await k.client.patch(PODS, 'default', name, {
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: name === 'db-x' ? 'False' : 'True' }] },
      }, 'merge', 'status');
    }
    await eventually(async () => answersOf(await query(server.port, 'db.default.svc.cluster.local', 'A'), 'A').length === 2);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('a ClusterIP Service has an A record, an SRV per named port and a PTR, over UDP and TCP', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const a = await query(server.port, 'web.default.svc.cluster.local', 'A', transport);
      assert.equal(a.rcode, 'NOERROR');
      assert.equal(a.flag_aa, true);
      assert.deepEqual(answersOf(a, 'A').map((x) => [x.name, x.data, (x as { ttl?: number }).ttl]), [['web.default.svc.cluster.local', '10.100.0.50', 5]]);
    }
    const srv = await query(server.port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    assert.deepEqual(answersOf(srv, 'SRV').map((x) => x.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    assert.deepEqual((srv.additionals ?? []).filter((x) => x.type === 'A').map((x) => (x as { data: unknown }).data), ['10.100.0.50']);
    const ptr = await query(server.port, reverseName('10.100.0.50'), 'PTR');
    assert.deepEqual(answersOf(ptr, 'PTR').map((x) => x.data), ['web.default.svc.cluster.local']);
    // A v4-only Service has no AAAA: NOERROR, no data, the SOA in authority.
    const aaaa = await query(server.port, 'web.default.svc.cluster.local', 'AAAA');
    assert.equal(aaaa.rcode, 'NOERROR');
    assert.equal(answersOf(aaaa).length, 0);
    assert.equal(aaaa.authorities?.[0]?.type, 'SOA');
  });

  test('a headless Service answers with its ready endpoints, per-host names and SRV targets', async () => {
    const a = await query(server.port, 'db.default.svc.cluster.local', 'A');
    assert.deepEqual(answersOf(a, 'A').map((x) => x.data).sort(), ['10.9.0.2', '10.9.0.3']);
    const host = await query(server.port, 'db-0.db.default.svc.cluster.local', 'A');
    assert.deepEqual(answersOf(host, 'A').map((x) => x.data), ['10.9.0.2']);
    const dashedHost = await query(server.port, '10-9-0-3.db.default.svc.cluster.local', 'A');
    assert.deepEqual(answersOf(dashedHost, 'A').map((x) => x.data), ['10.9.0.3']);
    const srv = await query(server.port, '_sql._tcp.db.default.svc.cluster.local', 'SRV', 'tcp');
    assert.deepEqual(
      answersOf(srv, 'SRV').map((x) => (x.data as { target: string; port: number }).target).sort(),
      ['10-9-0-3.db.default.svc.cluster.local', 'db-0.db.default.svc.cluster.local'],
    );
    assert.ok(answersOf(srv, 'SRV').every((x) => (x.data as { port: number }).port === 5432));
    // The not-ready pod has no record.
    assert.equal((await query(server.port, '10-9-0-4.db.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
  });

  test('pods have a-b-c-d.<ns>.pod records; unknown cluster names are NXDOMAIN with the SOA', async () => {
    const pod = await query(server.port, '10-9-0-2.default.pod.cluster.local', 'A');
    assert.deepEqual(answersOf(pod, 'A').map((x) => x.data), ['10.9.0.2']);
    const missing = await query(server.port, 'nope.default.svc.cluster.local', 'A');
    assert.equal(missing.rcode, 'NXDOMAIN');
    assert.equal(missing.flag_aa, true);
    const soa = missing.authorities?.[0];
    assert.equal(soa?.type, 'SOA');
    assert.equal(soa?.name, 'cluster.local');
    assert.equal((soa?.data as { mname: string }).mname, 'ns.dns.cluster.local');
    // An empty non-terminal exists: NOERROR without data.
    assert.equal((await query(server.port, 'default.svc.cluster.local', 'A')).rcode, 'NOERROR');
    // The search-list expansion busybox and glibc try first is NXDOMAIN.
    assert.equal((await query(server.port, 'web.default.svc.cluster.local.default.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
    const version = await query(server.port, 'dns-version.cluster.local', 'TXT');
    assert.deepEqual(answersOf(version, 'TXT').map((x) => (x.data as Buffer[]).map(String)), [['1.1.0']]);
  });

  test('a deleted Service disappears from DNS; a new one appears', async () => {
    await k.client.create(SERVICES, 'default', { metadata: { name: 'late' }, spec: { clusterIP: '10.100.0.60', ports: [{ port: 80 }] } });
    await eventually(async () => answersOf(await query(server.port, 'late.default.svc.cluster.local', 'A'), 'A')[0]?.data === '10.100.0.60');
    await k.client.delete(SERVICES, 'default', 'late');
    await eventually(async () => (await query(server.port, 'late.default.svc.cluster.local', 'A')).rcode === 'NXDOMAIN');
  });

  test('names outside the cluster go to the upstream, over UDP and TCP; ExternalName chases upstream', async () => {
    for (const transport of ['udp', 'tcp'] as const) {
      const r = await query(server.port, 'example.test', 'A', transport);
      assert.deepEqual(answersOf(r, 'A').map((x) => x.data), ['192.0.2.7']);
    }
    assert.ok(upstream.queries.includes('example.test/A'));
    assert.equal((await query(server.port, 'unknown.test', 'A')).rcode, 'NXDOMAIN');
    const ext = await query(server.port, 'ext.default.svc.cluster.local', 'A');
    assert.deepEqual(answersOf(ext).map((x) => [x.type, x.data]), [['CNAME', 'target.example.test'], ['A', '192.0.2.8']]);
    // Cluster names never reach the upstream.
    assert.ok(!upstream.queries.some((q) => q.includes('cluster.local')));
  });
});

describe('DNS server edge cases', () => {
  test('an unreachable upstream yields SERVFAIL after the timeout; a non-query is dropped; garbage gets FORMERR', async (t) => {
    const zone = new Zone();
    // A port with nothing on it: the forwarder times out.
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    t.after(() => silent.close());
    const server = new DnsServer({
      resolver: new Resolver(zone, { domain: 'cluster.local' }),
      forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: silent.address().port }], timeoutMs: 200 }),
    });
    const port = await server.listen(0, '127.0.0.1');
    t.after(() => server.close());
    assert.equal((await query(port, 'example.org', 'A')).rcode, 'SERVFAIL');

    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff]);
    const formerr = await server.handle(garbage, 'udp');
    assert.ok(formerr);
    assert.equal(formerr.readUInt16BE(0), 0x1234);
    assert.equal(formerr.readUInt16BE(2) & 0xf, 1);
    const response = dns.encode({ id: 1, type: 'response', questions: [{ name: 'x.cluster.local', type: 'A' }] });
    assert.equal(await server.handle(response, 'udp'), undefined);
  });

  test('a UDP answer over 512 bytes is truncated; over TCP it is whole', async (t) => {
    const zone = new Zone();
    zone.set('many', Array.from({ length: 60 }, (_, i) => ({ name: 'big.default.svc.cluster.local', type: 'A' as const, data: `10.0.${Math.floor(i / 250)}.${i + 1}` })));
    const server = new DnsServer({ resolver: new Resolver(zone, { domain: 'cluster.local' }) });
    const port = await server.listen(0, '127.0.0.1');
    t.after(() => server.close());
    const udp = await query(port, 'big.default.svc.cluster.local', 'A', 'udp');
    assert.equal(udp.flag_tc, true);
    assert.equal(answersOf(udp).length, 0);
    const tcp = await query(port, 'big.default.svc.cluster.local', 'A', 'tcp');
    assert.equal(answersOf(tcp, 'A').length, 60);
    // With EDNS and a large enough payload size the answer fits in UDP, and EDNS comes back.
    const edns = dns.decode((await server.handle(dns.encode({
      id: 7, type: 'query', flags: dns.RECURSION_DESIRED,
      questions: [{ name: 'big.default.svc.cluster.local', type: 'A' }],
      additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
    }), 'udp'))!) as { flag_tc?: boolean; answers?: unknown[]; additionals?: { type: string; udpPayloadSize?: number }[] };
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers?.length, 60);
    assert.equal(edns.additionals?.find((a) => a.type === 'OPT')?.udpPayloadSize, 1232);
  });

  test('zone owners replace their records; empty non-terminals follow', () => {
    const zone = new Zone();
    zone.set('svc/a', [{ name: 'a.ns.svc.cluster.local', type: 'A', data: '10.0.0.1' }]);
    assert.equal(zone.exists('ns.svc.cluster.local'), true);
    zone.set('svc/a', [{ name: 'A.other.svc.cluster.local.', type: 'A', data: '10.0.0.2' }]);
    assert.equal(zone.exists('ns.svc.cluster.local'), false);
    assert.deepEqual(zone.lookup('a.other.svc.cluster.local').map((r) => r.data), ['10.0.0.2']);
    zone.delete('svc/a');
    assert.equal(zone.exists('svc.cluster.local'), false);
  });

  test('resolv.conf nameservers and reverse names', () => {
    assert.deepEqual(parseResolvConf('search x\nnameserver 10.0.0.2\n nameserver fe80::1%eth0\nnameserver bogus\n'), [
      { host: '10.0.0.2', port: 53 },
      { host: 'fe80::1', port: 53 },
    ]);
    assert.equal(reverseName('10.1.2.3'), '3.2.1.10.in-addr.arpa');
    assert.equal(reverseName('fd00::1').slice(0, 8), '1.0.0.0.');
    assert.ok(reverseName('fd00::1').endsWith('0.0.d.f.ip6.arpa'));
  });
});
