// The cri runtime's listings against a RuntimeService of the test's own: the filter goes to
// ListPodSandbox and ListContainers as CRI's filter messages (with the owner label at an endpoint),
// and a narrower listing forgets of its cached statuses only what it could have listed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CriRuntime } from '../../src/runtime/cri/runtime.js';
import { endpointRuntime, OWNER_LABEL } from '../../src/runtime/cri/node.js';
import { codec, type CriMessage } from '../../src/runtime/cri/proto.js';
import { safeRemove } from '../../src/util/safe-remove.js';

interface Held {
  id: string;
  state: number;
  labels: Record<string, string>;
}

const selects = (labels: Record<string, string>, selector: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

/** Sandboxes and running containers as the test sets them; each request is recorded. */
async function scriptedRuntime() {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-cri-filter-'));
  const sandboxes = new Map<string, Held>();
  const containers = new Map<string, Held>();
  const requests: { method: string; request: CriMessage }[] = [];
  const handlers: Record<string, (req: CriMessage) => CriMessage> = {
    ListPodSandbox: ({ filter }) => ({
      items: [...sandboxes.values()]
        .filter((s) => (!filter?.id || s.id === filter.id) && (!filter?.state || s.state === filter.state.state) && selects(s.labels, filter?.labelSelector))
        .map((s) => ({ id: s.id, metadata: { name: s.id, uid: `uid-${s.id}`, namespace: 'ns' }, state: s.state, labels: s.labels })),
    }),
    PodSandboxStatus: ({ podSandboxId }) => {
      const s = sandboxes.get(podSandboxId);
      if (!s) throw Object.assign(new Error('not found'), { code: grpc.status.NOT_FOUND });
      return { status: { id: s.id, metadata: { name: s.id, uid: `uid-${s.id}`, namespace: 'ns' }, state: s.state, labels: s.labels } };
    },
    ListContainers: ({ filter }) => ({
      containers: [...containers.values()]
        .filter((c) => (!filter?.podSandboxId || c.labels.sandbox === filter.podSandboxId) && selects(c.labels, filter?.labelSelector))
        .map((c) => ({ id: c.id, podSandboxId: c.labels.sandbox, metadata: { name: c.id }, state: c.state, labels: c.labels })),
    }),
    ContainerStatus: ({ containerId }) => {
      const c = containers.get(containerId);
      if (!c) throw Object.assign(new Error('not found'), { code: grpc.status.NOT_FOUND });
      return { status: { id: c.id, metadata: { name: c.id }, state: c.state, labels: c.labels } };
    },
  };
  const server = new grpc.Server();
  const requestTypes: Record<string, string> = { ListPodSandbox: 'ListPodSandboxRequest', PodSandboxStatus: 'PodSandboxStatusRequest', ListContainers: 'ListContainersRequest', ContainerStatus: 'ContainerStatusRequest' };
  const responseTypes: Record<string, string> = { ListPodSandbox: 'ListPodSandboxResponse', PodSandboxStatus: 'PodSandboxStatusResponse', ListContainers: 'ListContainersResponse', ContainerStatus: 'ContainerStatusResponse' };
  const definition: Record<string, grpc.MethodDefinition<CriMessage, CriMessage>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(handlers)) {
    const req = codec(requestTypes[method]!);
    const res = codec(responseTypes[method]!);
    definition[method] = {
      path: `/runtime.v1.RuntimeService/${method}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: CriMessage) => req.encode(v),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (v: CriMessage) => res.encode(v),
      responseDeserialize: (b: Buffer) => res.decode(b),
    };
    implementation[method] = ((call: grpc.ServerUnaryCall<CriMessage, CriMessage>, callback: grpc.sendUnaryData<CriMessage>) => {
      requests.push({ method, request: call.request });
      try {
        callback(null, handlers[method]!(call.request));
      } catch (err) {
        callback(err as grpc.ServiceError);
      }
    }) as grpc.handleUnaryCall<CriMessage, CriMessage>;
  }
  server.addService(definition, implementation);
  const socket = join(dir, 'cri.sock');
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    endpoint: `unix://${socket}`,
    dir,
    sandboxes,
    containers,
    requests,
    /** Requests of this method since the last call, then forgotten. */
    take(method: string): CriMessage[] {
      const out = requests.filter((r) => r.method === method).map((r) => r.request);
      requests.length = 0;
      return out;
    },
    count(method: string): number {
      const n = requests.filter((r) => r.method === method).length;
      requests.length = 0;
      return n;
    },
    async stop() {
      server.forceShutdown();
      await safeRemove(dir);
    },
  };
}

const READY = 0;
const NOTREADY = 1;
const RUNNING = 1;

test('cri ListPodSandbox and ListContainers carry the filter; at an endpoint the owner label joins the selector', async (t) => {
  const s = await scriptedRuntime();
  t.after(() => s.stop());
  const runtime = new CriRuntime({ endpoint: s.endpoint, stateDir: join(s.dir, 'state') });
  t.after(() => runtime.close());

  await runtime.listPodSandboxes({ id: 'sa', state: 'READY', labels: { app: 'a' } });
  assert.deepEqual(s.take('ListPodSandbox').map((r) => r.filter), [{ id: 'sa', state: { state: READY }, labelSelector: { app: 'a' } }]);
  await runtime.listPodSandboxes({ state: 'NOTREADY' });
  assert.deepEqual(s.take('ListPodSandbox').map((r) => r.filter), [{ id: '', state: { state: NOTREADY }, labelSelector: {} }]);
  await runtime.listPodSandboxes();
  assert.deepEqual(s.take('ListPodSandbox').map((r) => r.filter), [{ id: '', state: null, labelSelector: {} }]);
  await runtime.listContainers({ sandboxId: 'sa', state: 'CREATED', labels: { app: 'a' } });
  assert.deepEqual(s.take('ListContainers').map((r) => r.filter), [{ id: '', podSandboxId: 'sa', state: { state: 0 }, labelSelector: { app: 'a' } }]);

  const shared = endpointRuntime(s.endpoint, s.dir, 'cluster-1');
  t.after(() => shared.close());
  await shared.listPodSandboxes({ labels: { app: 'a' } });
  assert.deepEqual(s.take('ListPodSandbox').map((r) => r.filter.labelSelector), [{ app: 'a', [OWNER_LABEL]: 'cluster-1' }]);
  await shared.listContainers();
  assert.deepEqual(s.take('ListContainers').map((r) => r.filter.labelSelector), [{ [OWNER_LABEL]: 'cluster-1' }]);
});

test('cri sandbox statuses: a narrower listing keeps what it could not list, and forgets what it could have and did not', async (t) => {
  const s = await scriptedRuntime();
  t.after(() => s.stop());
  const runtime = new CriRuntime({ endpoint: s.endpoint, stateDir: join(s.dir, 'state') });
  t.after(() => runtime.close());
  s.sandboxes.set('sa', { id: 'sa', state: READY, labels: { app: 'a' } });
  s.sandboxes.set('sb', { id: 'sb', state: READY, labels: { app: 'b' } });

  assert.equal((await runtime.listPodSandboxes()).length, 2);
  assert.equal(s.count('PodSandboxStatus'), 2, 'each new sandbox asked for its status once');
  assert.deepEqual((await runtime.listPodSandboxes({ labels: { app: 'a' } })).map((x) => x.id), ['sa']);
  await runtime.listPodSandboxes({ id: 'sa' });
  await runtime.listPodSandboxes({ state: 'NOTREADY' });
  assert.equal(s.count('PodSandboxStatus'), 0);
  assert.equal((await runtime.listPodSandboxes()).length, 2);
  assert.equal(s.count('PodSandboxStatus'), 0, "sb's status survived the listings that could not list it");

  s.sandboxes.delete('sa');
  assert.deepEqual(await runtime.listPodSandboxes({ labels: { app: 'a' } }), []);
  s.sandboxes.set('sa', { id: 'sa', state: READY, labels: { app: 'a' } });
  await runtime.listPodSandboxes();
  assert.equal(s.count('PodSandboxStatus'), 1, 'sa was forgotten by the listing of its label that did not find it');
});

test('cri container statuses: a narrower listing keeps what it could not list, and forgets what it could have and did not', async (t) => {
  const s = await scriptedRuntime();
  t.after(() => s.stop());
  const runtime = new CriRuntime({ endpoint: s.endpoint, stateDir: join(s.dir, 'state') });
  t.after(() => runtime.close());
  s.containers.set('ca', { id: 'ca', state: RUNNING, labels: { app: 'a', sandbox: 'sa' } });
  s.containers.set('cb', { id: 'cb', state: RUNNING, labels: { app: 'b', sandbox: 'sb' } });

  assert.equal((await runtime.listContainers()).length, 2);
  assert.equal(s.count('ContainerStatus'), 2);
  assert.deepEqual((await runtime.listContainers({ labels: { app: 'a' } })).map((c) => c.id), ['ca']);
  assert.equal((await runtime.listContainers()).length, 2);
  assert.equal(s.count('ContainerStatus'), 0, "cb's status survived the listing of another label");

  s.containers.delete('ca');
  assert.deepEqual(await runtime.listContainers({ labels: { app: 'a' } }), []);
  s.containers.set('ca', { id: 'ca', state: RUNNING, labels: { app: 'a', sandbox: 'sa' } });
  await runtime.listContainers();
  assert.equal(s.count('ContainerStatus'), 1, 'ca was forgotten by the listing of its label that did not find it');
});
