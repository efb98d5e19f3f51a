// The Endpoints and EndpointSlice controllers of a cluster, through the API: pods are created and their status
// patched (IP, Ready condition) as a node agent would; the controllers' output is read back.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster, eventually, type TestCluster } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import type { EndpointSlice } from '../../src/controllers/endpointslice/controller.js';
import type { KubeObject, Pod } from '../../src/api/types.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const SERVICES = ApiClient.resourceOf('v1', 'Service');
const ENDPOINTS = ApiClient.resourceOf('v1', 'Endpoints');
const SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

interface Endpoints extends KubeObject {
  subsets?: { addresses?: { ip: string; hostname?: string; targetRef?: { name: string } }[]; notReadyAddresses?: { ip: string }[]; ports?: { name?: string; port: number; protocol: string }[] }[];
}

describe('endpoint controllers', () => {
  let k: TestCluster;
  let client: ApiClient;
  const cleanups: (() => unknown)[] = [];
  let ns = '';

  before(async () => {
    // The cluster runs both controllers (startCluster starts them with the control plane).
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { store: 'memory' });
    client = k.client;
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  let counter = 0;
  async function namespace(): Promise<string> {
    ns = `ep-${++counter}`;
    await client.create(ApiClient.resourceOf('v1', 'Namespace'), '', { metadata: { name: ns } });
    // Pods need the namespace's default ServiceAccount (admission).
    await eventually(() => client.get(ApiClient.resourceOf('v1', 'ServiceAccount'), ns, 'default'));
    return ns;
  }

  async function pod(name: string, labels: Record<string, string>, extra: Partial<Pod['spec']> = {}): Promise<Pod> {
    return client.create<Pod>(PODS, ns, {
      metadata: { name, labels },
      spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
    });
  }

  async function setStatus(name: string, ip: string, ready: boolean): Promise<void> {
    await client.patch(PODS, ns, name, {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    }, 'merge', 'status');
  }

  async function service(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}): Promise<void> {
    await client.create(SERVICES, ns, { metadata: { name, labels }, spec });
  }

  const endpointsOf = (name: string) => client.get<Endpoints>(ENDPOINTS, ns, name).catch(() => undefined);
  const slicesOf = async (name: string) =>
    (await client.list<EndpointSlice>(SLICES, ns, { labelSelector: `kubernetes.io/service-name=${name}` })).items;

  test('ready and not-ready pods, named target ports, labels and owner', async () => {
    await namespace();
    await pod('a', { app: 'web' });
    await pod('b', { app: 'web' });
    await pod('other', { app: 'db' });
    await setStatus('a', '10.1.0.2', true);
    await setStatus('b', '10.1.0.3', false);
    await setStatus('other', '10.1.0.4', true);
    await service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, { team: 'x' });

    const ep = await eventually(async () => {
      const e = await endpointsOf('web');
      return e?.subsets?.[0]?.notReadyAddresses ? e : undefined;
    });
    assert.deepEqual(ep.subsets!.map((s) => ({ ready: s.addresses?.map((a) => a.ip), notReady: s.notReadyAddresses?.map((a) => a.ip), ports: s.ports })), [
      { ready: ['10.1.0.2'], notReady: ['10.1.0.3'], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
    ]);
    assert.equal(ep.subsets![0]!.addresses![0]!.targetRef!.name, 'a');
    assert.equal(ep.metadata.labels?.['endpoints.kubernetes.io/managed-by'], 'endpoint-controller');
    assert.equal(ep.metadata.labels?.team, 'x');

    const [slice, ...more] = await eventually(async () => {
      const s = await slicesOf('web');
      return s.length && s[0]!.endpoints?.length === 2 ? s : undefined;
    });
    assert.equal(more.length, 0);
    assert.equal(slice!.addressType, 'IPv4');
    assert.equal(slice!.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice!.metadata.labels?.team, 'x');
    assert.equal(slice!.metadata.ownerReferences?.[0]?.kind, 'Service');
    assert.equal(slice!.metadata.ownerReferences?.[0]?.controller, true);
    assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byIp = Object.fromEntries(slice!.endpoints!.map((e) => [e.addresses[0], e]));
    assert.deepEqual(byIp['10.1.0.2']!.conditions, { ready: true, serving: true, terminating: false });
    assert.deepEqual(byIp['10.1.0.3']!.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(byIp['10.1.0.2']!.nodeName, 'node-a');
    assert.equal(byIp['10.1.0.2']!.targetRef.kind, 'Pod');

    // Readiness lost and regained moves the address between the lists.
    await setStatus('a', '10.1.0.2', false);
    await eventually(async () => (await endpointsOf('web'))?.subsets?.every((s) => !s.addresses));
    await setStatus('b', '10.1.0.3', true);
    await eventually(async () => (await endpointsOf('web'))?.subsets?.[0]?.addresses?.[0]?.ip === '10.1.0.3');
    await eventually(async () => {
      const [s] = await slicesOf('web');
      return s?.endpoints?.find((e) => e.addresses[0] === '10.1.0.3')?.conditions.ready === true;
    });

    // Once in sync, nothing is rewritten (a controller fighting the server's rendering would loop).
    const versions = async () => [(await endpointsOf('web'))?.metadata.resourceVersion, ...(await slicesOf('web')).map((x) => x.metadata.resourceVersion)];
    const settled = await versions();
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await versions(), settled);
  });

  test('a terminating pod is serving but not ready in slices and leaves Endpoints', async () => {
    await namespace();
    await pod('t', { app: 't' });
    await setStatus('t', '10.1.1.2', true);
    // A finalizer keeps the pod in Terminating once deleted.
    await client.patch(PODS, ns, 't', { metadata: { finalizers: ['example.com/hold'] } });
    await service('t', { selector: { app: 't' }, ports: [{ port: 80, targetPort: 8080 }] });
    await eventually(async () => (await endpointsOf('t'))?.subsets?.[0]?.addresses?.length === 1);
    await client.delete(PODS, ns, 't', { gracePeriodSeconds: 0 });
    await eventually(async () => {
      const [s] = await slicesOf('t');
      const c = s?.endpoints?.[0]?.conditions;
      return c && c.terminating && c.serving && !c.ready;
    });
    await eventually(async () => (await endpointsOf('t'))?.subsets?.length === 0 || !(await endpointsOf('t'))?.subsets);
    await client.patch(PODS, ns, 't', { metadata: { finalizers: null } });
    await eventually(async () => (await slicesOf('t'))[0]?.endpoints?.length === 0 || !(await slicesOf('t'))[0]?.endpoints);
  });

  test('publishNotReadyAddresses, headless hostnames, placeholder slice, selectorless and deleted services', async () => {
    await namespace();
    await pod('h0', { app: 'h' }, { hostname: 'h0', subdomain: 'hs' } as Partial<Pod['spec']>);
    await setStatus('h0', '10.1.2.2', false);
    await service('hs', { clusterIP: 'None', selector: { app: 'h' }, publishNotReadyAddresses: true, ports: [{ name: 'p', port: 81 }] });
    const ep = await eventually(async () => (await endpointsOf('hs'))?.subsets?.[0]?.addresses ? await endpointsOf('hs') : undefined);
    assert.equal(ep.subsets![0]!.addresses![0]!.hostname, 'h0');
    assert.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], '');
    const [slice] = await eventually(async () => ((await slicesOf('hs'))[0]?.endpoints?.length ? slicesOf('hs') : undefined));
    assert.equal(slice!.endpoints![0]!.hostname, 'h0');
    assert.equal(slice!.endpoints![0]!.conditions.ready, true);
    assert.equal(slice!.endpoints![0]!.conditions.serving, false);
    assert.equal(slice!.metadata.labels?.['service.kubernetes.io/headless'], '');

    await service('empty', { selector: { app: 'nobody' }, ports: [{ port: 80 }] });
    const [placeholder, ...rest] = await eventually(async () => ((await slicesOf('empty')).length ? slicesOf('empty') : undefined));
    assert.equal(rest.length, 0);
    assert.equal(placeholder!.endpoints?.length ?? 0, 0);

    await service('manual', { ports: [{ port: 80 }] });
    await service('marker', { selector: { app: 'nobody' }, ports: [{ port: 80 }] });
    await eventually(async () => (await slicesOf('marker')).length === 1);
    assert.equal(await endpointsOf('manual'), undefined);
    assert.equal((await slicesOf('manual')).length, 0);

    await client.delete(SERVICES, ns, 'hs');
    await eventually(async () => (await endpointsOf('hs')) === undefined && (await slicesOf('hs')).length === 0);
  });

  test('more than 100 endpoints are spread over several slices', async () => {
    await namespace();
    await service('big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    await Promise.all(
      Array.from({ length: 130 }, async (_, i) => {
        await pod(`p${i}`, { app: 'big' });
        await setStatus(`p${i}`, `10.2.${Math.floor(i / 200)}.${(i % 200) + 2}`, true);
      }),
    );
    const slices = await eventually(async () => {
      const s = await slicesOf('big');
      return s.reduce((n, x) => n + (x.endpoints?.length ?? 0), 0) === 130 ? s : undefined;
    }, 60_000);
    assert.equal(slices.length, 2);
    assert.ok(slices.every((s) => (s.endpoints?.length ?? 0) <= 100));
  });
});
