// The service proxy on this host without pods: the `kubernetes` Service's ClusterIP reaches the
// loopback API server from the node; rules follow Services within a sync; a stopped proxy that
// keeps its rules is taken over by the next one (stale chains deleted); a final stop leaves nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { testCluster, eventually, run } from '../helpers/cluster.js';
import { ServiceProxy, kubernetesServiceIP } from '../../src/network/proxy/index.js';
import { ApiClient } from '../../src/client/client.js';
import { silentLogger } from '../../src/util/log.js';
import { randomServiceCIDR } from './network-support.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

function getVersion(host: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port: 443, path: '/version', ca, servername: 'kubernetes.default.svc', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body).gitVersion));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const chainsOnHost = async (prefix: string) =>
  (await run('iptables-save', [])).stdout
    .split('\n')
    .filter((l) => l.startsWith(':') && l.includes(prefix))
    .map((l) => l.slice(1).split(' ')[0]!);

test('the proxy programs the host, hands its chains over, and removes them', async (t) => {
  const serviceCidr = randomServiceCIDR();
  const k = await testCluster(t, { store: 'memory', serviceCidr });
  const clusterId = `test-${randomBytes(4).toString('hex')}`;
  const options = { client: k.client, clusterId, loopbackApiServer: { port: k.port }, log: silentLogger };
  let proxy = new ServiceProxy(options);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await proxy.stop();
  });
  await proxy.start();
  const { servicePrefix, endpointPrefix, services } = proxy.chains;

  // The kubernetes Service, from the node, to the API server on loopback.
  const ip = kubernetesServiceIP(serviceCidr);
  assert.match(await getVersion(ip, k.pki.ca.certPem), /^v1\.33\./);

  // A Service with endpoints gets its chains; deleting it removes them at the next sync.
  await k.client.create(SERVICES, 'default', { metadata: { name: 'extra' }, spec: { ports: [{ port: 80 }] } });
  await k.client.create(SLICES, 'default', {
    metadata: { name: 'extra-1', labels: { 'kubernetes.io/service-name': 'extra' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.250.250.2'], conditions: { ready: true } }],
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
  });
  await eventually(async () => (await chainsOnHost(servicePrefix)).length === 2);
  assert.equal((await chainsOnHost(endpointPrefix)).length, 2);

  // Stopped with its rules kept: they stay; the Service loses its endpoints meanwhile.
  await proxy.stop({ keepRules: true });
  assert.equal((await chainsOnHost(servicePrefix)).length, 2);
  await k.client.delete(SLICES, 'default', 'extra-1');
  assert.match(await getVersion(ip, k.pki.ca.certPem), /^v1\.33\./);

  // The next proxy of the cluster takes over: the stale chains go, the jumps are not duplicated.
  proxy = new ServiceProxy(options);
  await proxy.start();
  await eventually(async () => (await chainsOnHost(servicePrefix)).length === 1);
  assert.equal((await chainsOnHost(endpointPrefix)).length, 1);
  const jumps = (await run('iptables-save', ['-t', 'nat'])).stdout.split('\n').filter((l) => l.startsWith('-A OUTPUT') && l.endsWith(`-j ${services}`));
  assert.equal(jumps.length, 1);
  assert.match(await getVersion(ip, k.pki.ca.certPem), /^v1\.33\./);

  await proxy.stop();
  stopped = true;
  const left = (await run('iptables-save', [])).stdout;
  for (const name of Object.values(proxy.chains)) assert.ok(!left.includes(name), `${name} left behind`);
});
