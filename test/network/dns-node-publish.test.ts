// Cluster DNS on several nodes, against a real API on loopback: the control plane's kube-dns
// Service (ClusterIP fixed, internalTrafficPolicy Local); each node's server publishes its own
// EndpointSlice and withdraws it on stop, never touching the others'; the service proxy's plan sends
// a node's queries to that node's server only; a registered Node owns its slice, so deleting it
// collects the slice; pod names answered without reading pods (`insecure`); a Service and slices of
// an earlier version are migrated.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject } from '../../src/api/types.js';
import type { Service } from '../../src/controllers/services.js';
import { ClusterDns } from '../../src/network/dns/cluster-dns.js';
import { ensureDnsService } from '../../src/network/dns/publish.js';
import { planService, type EndpointSliceLike } from '../../src/network/proxy/plan.js';
import { silentLogger } from '../../src/util/log.js';
import { query, answersOf } from './dns-client.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');
const ENDPOINTS = ApiClient.resourceOf('v1', 'Endpoints');
const NODES = ApiClient.resourceOf('v1', 'Node');

test('each node publishes and withdraws its own kube-dns endpoint', async (t) => {
  const k = await testCluster(t, { store: 'memory', serviceCidr: '10.100.0.0/16' });
  const service = await k.client.get<Service>(SERVICES, 'kube-system', 'kube-dns');
  assert.equal(service.spec.clusterIP, '10.100.0.10');
  assert.equal(service.spec.internalTrafficPolicy, 'Local');
  assert.deepEqual(service.spec.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`), ['dns:53/UDP', 'dns-tcp:53/TCP']);

  // n-y is registered before its DNS starts; n-x is not (yet).
  const nodeY = await k.client.create<KubeObject>(NODES, '', { metadata: { name: 'n-y' } });
  const servers = new Map<string, ClusterDns>();
  for (const nodeName of ['n-x', 'n-y']) {
    const dns = new ClusterDns({ client: k.client, host: '127.0.0.1', port: 0, upstreams: [], publish: { nodeName }, pods: 'insecure', log: silentLogger });
    t.after(() => dns.stop());
    await dns.start();
    servers.set(nodeName, dns);
    assert.equal(dns.nameserver, '10.100.0.10', 'pods use the Service IP');
  }
  const x = servers.get('n-x')!;
  const y = servers.get('n-y')!;
  const dnsSlices = async () => (await k.client.list<EndpointSliceLike>(SLICES, 'kube-system', { labelSelector: 'kubernetes.io/service-name=kube-dns' })).items;
  const slices = await dnsSlices();
  assert.deepEqual(
    slices.map((s) => `${s.metadata.name} ${s.endpoints?.map((e) => `${e.addresses.join()}@${e.nodeName}`).join()} ${s.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`).join()}`).sort(),
    [`kube-dns-n-x 127.0.0.1@n-x dns:${x.port}/UDP,dns-tcp:${x.port}/TCP`, `kube-dns-n-y 127.0.0.1@n-y dns:${y.port}/UDP,dns-tcp:${y.port}/TCP`],
  );

  const owners = (name: string) => JSON.stringify(slices.find((s) => s.metadata.name === name)?.metadata.ownerReferences ?? []);
  assert.equal(owners('kube-dns-n-x'), '[]');
  assert.equal(owners('kube-dns-n-y'), JSON.stringify([{ apiVersion: 'v1', kind: 'Node', name: 'n-y', uid: nodeY.metadata.uid }]));

  // The proxy of n-x sends its pods' queries to n-x's server only.
  const plans = planService(service, slices, { nodeName: 'n-x' });
  assert.deepEqual(
    plans.map((p) => `${p.key} local=${p.internalLocal} ${p.localEndpoints?.map((e) => `${e.ip}:${e.port}`).join()}`),
    [`kube-system/kube-dns:dns/udp local=true 127.0.0.1:${x.port}`, `kube-system/kube-dns:dns-tcp/tcp local=true 127.0.0.1:${x.port}`],
  );

  // Pod names from the name alone; malformed ones do not exist.
  assert.deepEqual(answersOf(await query(x.port, '10-1-2-3.default.pod.cluster.local', 'A'), 'A').map((a) => a.data), ['10.1.2.3']);
  assert.deepEqual(answersOf(await query(x.port, 'fd00--5.default.pod.cluster.local', 'AAAA'), 'AAAA').map((a) => a.data), ['fd00::5']);
  const noData = await query(x.port, '10-1-2-3.default.pod.cluster.local', 'AAAA');
  assert.equal(noData.rcode, 'NOERROR');
  assert.equal(noData.answers?.length, 0);
  for (const name of ['10-1-2.default.pod.cluster.local', '10-1-2-300.default.pod.cluster.local', '10-1-2-3.pod.cluster.local', 'a.10-1-2-3.default.pod.cluster.local']) {
    assert.equal((await query(x.port, name, 'A')).rcode, 'NXDOMAIN', name);
  }

  // n-x stops: its slice goes, n-y's stays.
  await x.stop();
  assert.deepEqual((await dnsSlices()).map((s) => s.metadata.name), ['kube-dns-n-y']);
  assert.equal((await query(y.port, 'kube-dns.kube-system.svc.cluster.local', 'A')).rcode, 'NOERROR');

  // n-y's Node is deleted (its agent gone for good): the garbage collector removes its slice.
  await k.client.delete(NODES, '', 'n-y');
  await eventually(async () => (await dnsSlices()).length === 0, 10_000);
});

test('a kube-dns Service and endpoints of an earlier version are migrated', async (t) => {
  const k = await testCluster(t, { store: 'memory', serviceCidr: '10.101.0.0/16' });
  const current = await k.client.get<Service>(SERVICES, 'kube-system', 'kube-dns');
  await k.client.update(SERVICES, { ...current, spec: { ...current.spec, internalTrafficPolicy: 'Cluster' } });
  const labels = { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'k8ts-cluster-dns' };
  await k.client.create(SLICES, 'kube-system', { metadata: { name: 'kube-dns', labels }, addressType: 'IPv4', endpoints: [{ addresses: ['10.244.0.1'] }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } as KubeObject);
  await k.client.create(ENDPOINTS, 'kube-system', { metadata: { name: 'kube-dns' }, subsets: [{ addresses: [{ ip: '10.244.0.1' }], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }] } as KubeObject);
  // A slice someone else manages is left alone.
  await k.client.create(SLICES, 'kube-system', { metadata: { name: 'kube-dns-extra', labels: { 'kubernetes.io/service-name': 'kube-dns' } }, addressType: 'IPv4', endpoints: [], ports: [] } as KubeObject);

  assert.equal(await ensureDnsService(k.client, '10.101.0.10'), '10.101.0.10');
  assert.equal((await k.client.get<Service>(SERVICES, 'kube-system', 'kube-dns')).spec.internalTrafficPolicy, 'Local');
  const left = (await k.client.list<KubeObject>(SLICES, 'kube-system')).items.map((s) => s.metadata.name);
  assert.deepEqual(left, ['kube-dns-extra']);
  await assert.rejects(k.client.get(ENDPOINTS, 'kube-system', 'kube-dns'), /not found/);
});
