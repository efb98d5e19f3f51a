// @kubernetes/client-node 1.4 against k8ts: typed CRUD, selectors, every patch type (its default
// json-patch, merge, strategic, server-side apply through KubernetesObjectApi), scale, and an
// informer whose watch is cut while more changes happen than the watch cache keeps (410, relist).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Pod,
} from '@kubernetes/client-node';

import { testCluster, eventually, type TestCluster } from '../helpers/cluster.js';

const NS = 'default';

async function rejectsWith(p: Promise<unknown>, code: number, message: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${err}`);
    assert.equal(err.code, code);
    const status = JSON.parse(err.body as string) as { kind: string; message: string; code: number };
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, code);
    assert.equal(status.message, message);
    return;
  }
  assert.fail(`expected a ${code}`);
}

/** A TCP proxy to the API server whose open connections can be frozen and then cut. */
class CuttableProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  port = 0;
  constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  /** Open connections stop delivering what the server sends. */
  freeze(): void {
    for (const { client, upstream } of this.pairs) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }
  /** Open connections are closed; new ones work. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }
  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function kubeConfigFor(k: TestCluster, server = k.server): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(k.kubeconfig);
  const cluster = kc.getCurrentCluster()!;
  kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
  return kc;
}

describe('@kubernetes/client-node 1.4', () => {
  let k: TestCluster;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    // A short watch history, so that a watch resumed after a few changes is too old (410).
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { store: 'memory', watchHistory: 3 });
    kc = kubeConfigFor(k);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('CRUD with typed objects; NotFound and AlreadyExists as ApiException with the Status', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'crud', labels: { suite: 'client-node' } }, data: { k: 'v1' } } });
    assert.equal(created.metadata?.namespace, NS);
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata?.creationTimestamp instanceof Date, 'timestamps are deserialized to Dates');
    await rejectsWith(core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'crud' } } }), 409, 'configmaps "crud" already exists');

    const read = await core.readNamespacedConfigMap({ name: 'crud', namespace: NS });
    assert.equal(read.data?.k, 'v1');
    const replaced = await core.replaceNamespacedConfigMap({ name: 'crud', namespace: NS, body: { ...read, data: { k: 'v2' } } });
    assert.equal(replaced.data?.k, 'v2');
    assert.ok(Number(replaced.metadata?.resourceVersion) > Number(read.metadata?.resourceVersion));
    // A stale resourceVersion conflicts.
    await rejectsWith(
      core.replaceNamespacedConfigMap({ name: 'crud', namespace: NS, body: { ...read, data: { k: 'stale' } } }),
      409,
      'Operation cannot be fulfilled on configmaps "crud": the object has been modified; please apply your changes to the latest version and try again',
    );

    const status = await core.deleteNamespacedConfigMap({ name: 'crud', namespace: NS });
    assert.equal(status.status, 'Success');
    await rejectsWith(core.readNamespacedConfigMap({ name: 'crud', namespace: NS }), 404, 'configmaps "crud" not found');
    await rejectsWith(core.deleteNamespacedConfigMap({ name: 'crud', namespace: NS }), 404, 'configmaps "crud" not found');
  });

  test('lists with label and field selectors, in one namespace and across all', async () => {
    for (const [name, tier] of [['sel-a', 'front'], ['sel-b', 'back'], ['sel-c', 'front']]) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name, labels: { selectors: 'yes', tier: tier! } } } });
    }
    await core.createNamespace({ body: { metadata: { name: 'client-node-other' } } });
    await core.createNamespacedConfigMap({ namespace: 'client-node-other', body: { metadata: { name: 'sel-d', labels: { selectors: 'yes', tier: 'front' } } } });

    const names = (items: V1ConfigMap[]) => items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`).sort();
    let list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'selectors=yes,tier=front' });
    assert.deepEqual(names(list.items), ['default/sel-a', 'default/sel-c']);
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
    list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'selectors,tier notin (front)' });
    assert.deepEqual(names(list.items), ['default/sel-b']);
    list = await core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'metadata.name=sel-c' });
    assert.deepEqual(names(list.items), ['default/sel-c']);
    list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'selectors=yes', fieldSelector: 'metadata.name!=sel-a' });
    assert.deepEqual(names(list.items), ['default/sel-b', 'default/sel-c']);
    list = await core.listConfigMapForAllNamespaces({ labelSelector: 'selectors=yes,tier=front', fieldSelector: 'metadata.namespace!=default' });
    assert.deepEqual(names(list.items), ['client-node-other/sel-d']);
    await rejectsWith(core.listNamespacedConfigMap({ namespace: NS, fieldSelector: 'data.k=v' }), 400, 'field label not supported: data.k');
  });

  test('patch: json-patch by default, merge, strategic', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: { metadata: { name: 'patched', labels: { app: 'patched' } }, spec: { containers: [{ name: 'a', image: 'busybox:1.36' }, { name: 'b', image: 'busybox:1.36' }] } },
    });
    // No Content-Type option: client-node sends a JSON patch.
    let p: V1Pod = await core.patchNamespacedPod({ name: 'patched', namespace: NS, body: [{ op: 'add', path: '/metadata/labels/json', value: 'yes' }] });
    assert.equal(p.metadata?.labels?.json, 'yes');
    // A failed `test` operation: Kubernetes' generic 422.
    await rejectsWith(
      core.patchNamespacedPod({ name: 'patched', namespace: NS, body: [{ op: 'test', path: '/metadata/labels/app', value: 'other' }] }),
      422,
      'the server rejected our request due to an error in our request',
    );

    p = await core.patchNamespacedPod(
      { name: 'patched', namespace: NS, body: { metadata: { labels: { json: null, merge: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    assert.deepEqual(p.metadata?.labels, { app: 'patched', merge: 'yes' });

    // Strategic: containers merge by name; a merge patch would have replaced the list.
    p = await core.patchNamespacedPod(
      { name: 'patched', namespace: NS, body: { spec: { containers: [{ name: 'b', image: 'busybox:1.37' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(p.spec?.containers.map((c) => `${c.name}=${c.image}`), ['a=busybox:1.36', 'b=busybox:1.37']);
  });

  test('server-side apply through KubernetesObjectApi: create, update, conflict, force', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const spec = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: NS }, data: { owner: 'first', shared: 'one' } };
    let applied = await objects.patch<KubernetesObject & { data?: Record<string, string> }>(spec, undefined, undefined, 'first', false, PatchStrategy.ServerSideApply);
    assert.deepEqual(applied.data, { owner: 'first', shared: 'one' });
    const managers = (o: KubernetesObject) => (o.metadata?.managedFields ?? []).map((m) => `${m.manager}:${m.operation}`);
    assert.deepEqual(managers(applied), ['first:Apply']);

    // A second manager that sets the same field conflicts unless it forces.
    const second = { ...spec, data: { shared: 'two' } };
    try {
      await objects.patch(second, undefined, undefined, 'second', false, PatchStrategy.ServerSideApply);
      assert.fail('expected a conflict');
    } catch (err) {
      assert.ok(err instanceof ApiException, String(err));
      assert.equal(err.code, 409);
      const status = JSON.parse(err.body as string) as { reason: string; message: string; details: { causes: { reason: string; field: string; message: string }[] } };
      assert.equal(status.reason, 'Conflict');
      assert.equal(status.message, 'Apply failed with 1 conflict: conflict with "first": .data.shared');
      assert.deepEqual(status.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.shared' }]);
    }
    applied = await objects.patch(second, undefined, undefined, 'second', true, PatchStrategy.ServerSideApply);
    assert.deepEqual(applied.data, { owner: 'first', shared: 'two' });
    assert.deepEqual(managers(applied).sort(), ['first:Apply', 'second:Apply']);

    // The first manager drops a field it alone owned: it is removed.
    applied = await objects.patch({ ...spec, data: { shared: 'two' } }, undefined, undefined, 'first', true, PatchStrategy.ServerSideApply);
    assert.deepEqual(applied.data, { shared: 'two' });
    const read = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: NS } });
    assert.equal(read.metadata?.resourceVersion, applied.metadata?.resourceVersion);
  });

  test('deployment scale: read and replace the Scale subresource', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'scaled' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'scaled' } }, template: { metadata: { labels: { app: 'scaled' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'scaled', namespace: NS });
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.apiVersion, 'autoscaling/v1');
    assert.equal(scale.spec?.replicas, 1);
    assert.equal(scale.status?.selector, 'app=scaled');
    // The Scale carries the deployment's resourceVersion, which its controller's status writes move
    // on: read, modify, write, and again on a conflict, as client-go's RetryOnConflict does.
    let updated;
    for (let attempt = 0; ; attempt++) {
      const current = await apps.readNamespacedDeploymentScale({ name: 'scaled', namespace: NS });
      try {
        updated = await apps.replaceNamespacedDeploymentScale({ name: 'scaled', namespace: NS, body: { ...current, spec: { replicas: 4 } } });
        break;
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409) || attempt === 4) throw err;
      }
    }
    assert.equal(updated.spec?.replicas, 4);
    // A stale resourceVersion is refused.
    await rejectsWith(
      apps.replaceNamespacedDeploymentScale({ name: 'scaled', namespace: NS, body: { ...scale, spec: { replicas: 2 } } }),
      409,
      'Operation cannot be fulfilled on deployments.apps "scaled": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.equal((await apps.readNamespacedDeployment({ name: 'scaled', namespace: NS })).spec?.replicas, 4);
  });

  test('an informer survives a watch cut across more changes than the watch cache keeps (410, relist)', async () => {
    const proxy = new CuttableProxy(k.port);
    await proxy.listen();
    cleanups.push(() => proxy.close());
    const viaProxy = kubeConfigFor(k, `https://127.0.0.1:${proxy.port}`);
    const proxied = viaProxy.makeApiClient(CoreV1Api);
    const label = 'informer=yes';
    for (const name of ['keep', 'change', 'remove']) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `inf-${name}`, labels: { informer: 'yes' } }, data: { v: '0' } } });
    }

    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(
      viaProxy,
      `/api/v1/namespaces/${NS}/configmaps`,
      () => {
        lists++;
        return proxied.listNamespacedConfigMap({ namespace: NS, labelSelector: label });
      },
      label,
    );
    const deleted: string[] = [];
    const errors: unknown[] = [];
    informer.on('delete', (o) => deleted.push(o.metadata!.name!));
    // client-node's documented pattern: an informer stops on a watch error and is started again.
    let stopped = false;
    informer.on('error', (err) => {
      errors.push(err);
      if (!stopped) setTimeout(() => void (stopped || informer.start()), 50);
    });
    await informer.start();
    cleanups.push(() => {
      stopped = true;
      return informer.stop();
    });
    const cached = () => informer.list(NS).map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();
    const server = async () =>
      (await core.listNamespacedConfigMap({ namespace: NS, labelSelector: label })).items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort();

    // Live updates reach the cache through the watch.
    await core.patchNamespacedConfigMap({ name: 'inf-change', namespace: NS, body: { data: { v: '1' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually(async () => JSON.stringify(cached()) === JSON.stringify(await server()));
    assert.equal(lists, 1);

    // The informer's connection stops delivering; meanwhile more than three changes happen.
    proxy.freeze();
    for (let i = 2; i <= 6; i++) {
      await core.patchNamespacedConfigMap({ name: 'inf-change', namespace: NS, body: { data: { v: String(i) } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    }
    await core.deleteNamespacedConfigMap({ name: 'inf-remove', namespace: NS });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'inf-new', labels: { informer: 'yes' } } } });
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'inf-unlabeled' } } });
    assert.ok(cached().some((x) => x.startsWith('inf-remove@')), 'the frozen informer has not seen the changes');

    // Cut: the informer watches again from its old resourceVersion, gets 410 Expired, and relists.
    proxy.cut();
    await eventually(async () => JSON.stringify(cached()) === JSON.stringify(await server()));
    assert.ok(lists >= 2, `the informer relisted (${lists} lists, errors: ${errors.map(String).join('; ')})`);
    assert.deepEqual(informer.list(NS).map((o) => o.metadata?.name).sort(), ['inf-change', 'inf-keep', 'inf-new']);
    assert.equal(informer.get('inf-change', NS)?.data?.v, '6');
    assert.ok(deleted.includes('inf-remove'), 'the relist reported the object deleted during the outage');

    // And it keeps watching.
    await core.patchNamespacedConfigMap({ name: 'inf-keep', namespace: NS, body: { data: { v: 'after' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await eventually(() => informer.get('inf-keep', NS)?.data?.v === 'after');
  });
});
