// The API's resourceVersion, watch, paging, selector and deletion semantics, through HTTPS with
// the project's client against a real server on sqlite.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { ApiError } from '../../src/api/errors.js';
import { ApiClient, resourcePath, type WatchEventOf } from '../../src/client/client.js';
import { testCluster, type TestCluster, eventually } from '../helpers/cluster.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const CMS = ApiClient.resourceOf('v1', 'ConfigMap');
const NS = ApiClient.resourceOf('v1', 'Namespace');

function configMap(name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, labels }, data: { k: name } };
}

async function rejects(p: Promise<unknown>, code: number, reason?: string): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (reason) assert.equal(err.reason, reason);
    return err;
  }
  assert.fail(`expected a ${code}`);
}

describe('REST semantics', () => {
  let k: TestCluster;
  let c: ApiClient;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) });
    c = k.client;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('create sets uid, creationTimestamp, resourceVersion; get returns it', async () => {
    const created = await c.create(CMS, 'default', configMap('one'));
    assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.match(String(created.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const got = await c.get(CMS, 'default', 'one');
    assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
    await rejects(c.create(CMS, 'default', configMap('one')), 409, 'AlreadyExists');
  });

  test('update with a stale resourceVersion conflicts; generation moves on spec changes only', async () => {
    const cm = await c.get(CMS, 'default', 'one');
    const updated = await c.update(CMS, { ...cm, data: { k: 'changed' } });
    assert.notEqual(updated.metadata.resourceVersion, cm.metadata.resourceVersion);
    const err = await rejects(c.update(CMS, { ...cm, data: { k: 'stale' } }), 409, 'Conflict');
    assert.equal(err.message, 'Operation cannot be fulfilled on configmaps "one": the object has been modified; please apply your changes to the latest version and try again');
  });

  test('generateName makes unique names', async () => {
    const a = await c.create(CMS, 'default', { metadata: { generateName: 'gen-' }, data: {} });
    const b = await c.create(CMS, 'default', { metadata: { generateName: 'gen-' }, data: {} });
    assert.match(a.metadata.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
  });

  test('a missing namespace is NotFound', async () => {
    const err = await rejects(c.create(CMS, 'nowhere', configMap('x')), 404, 'NotFound');
    assert.equal(err.message, 'namespaces "nowhere" not found');
  });

  test('list with limit and continue returns every item once', async () => {
    for (let i = 0; i < 7; i++) await c.create(CMS, 'default', configMap(`page-${i}`, { paged: 'yes' }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.list(CMS, 'default', { labelSelector: 'paged=yes', limit: 3, ...(token ? { continue: token } : {}) });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((i) => i.metadata.name!));
      token = page.metadata.continue;
    } while (token);
    assert.deepEqual(seen, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
  });

  test('label selector operators', async () => {
    await c.create(CMS, 'default', configMap('sel-a', { tier: 'front', env: 'prod' }));
    await c.create(CMS, 'default', configMap('sel-b', { tier: 'back', env: 'prod' }));
    await c.create(CMS, 'default', configMap('sel-c', { tier: 'back' }));
    const names = async (selector: string) =>
      (await c.list(CMS, 'default', { labelSelector: selector })).items.map((i) => i.metadata.name).filter((n) => n!.startsWith('sel-'));
    assert.deepEqual(await names('tier in (front,back),env'), ['sel-a', 'sel-b']);
    assert.deepEqual(await names('tier notin (front),tier'), ['sel-b', 'sel-c']);
    assert.deepEqual(await names('!env,tier'), ['sel-c']);
    assert.deepEqual(await names('tier!=back,tier'), ['sel-a']);
    await rejects(c.list(CMS, 'default', { labelSelector: 'tier in (' }), 400, 'BadRequest');
  });

  test('field selectors: supported fields and an unsupported one', async () => {
    const list = await c.list(CMS, 'default', { fieldSelector: 'metadata.name=sel-b' });
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['sel-b']);
    const err = await rejects(c.list(CMS, 'default', { fieldSelector: 'spec.nodeName=x' }), 400, 'BadRequest');
    assert.equal(err.message, 'field label not supported: spec.nodeName');
  });

  test('watch from a resourceVersion replays later events in order, then live ones', async () => {
    const start = await c.list(CMS, 'default');
    const events: WatchEventOf<KubeObject>[] = [];
    await c.create(CMS, 'default', configMap('w-1'));
    await c.patch(CMS, 'default', 'w-1', { data: { k: 'v2' } });
    const stream = c.watch<KubeObject>(resourcePath(CMS, 'default'), { resourceVersion: start.metadata.resourceVersion }, (e) => events.push(e));
    try {
      await c.delete(CMS, 'default', 'w-1');
      await eventually(() => events.length >= 3);
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w-1', 'MODIFIED w-1', 'DELETED w-1']);
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual([...rvs].sort((a, b) => a - b), rvs);
    } finally {
      stream.stop();
    }
  });

  test('watch without resourceVersion starts with ADDED for what exists; selectors turn changes into ADDED/DELETED', async () => {
    await c.create(CMS, 'default', configMap('flip', { watched: 'no' }));
    await c.create(CMS, 'default', configMap('stay', { watched: 'yes' }));
    const events: string[] = [];
    const stream = c.watch<KubeObject>(resourcePath(CMS, 'default'), { labelSelector: 'watched=yes' }, (e) => events.push(`${e.type} ${e.object.metadata.name}`));
    try {
      await eventually(() => events.includes('ADDED stay'));
      await c.patch(CMS, 'default', 'flip', { metadata: { labels: { watched: 'yes' } } });
      await eventually(() => events.includes('ADDED flip'));
      await c.patch(CMS, 'default', 'flip', { metadata: { labels: { watched: 'no' } } });
      await eventually(() => events.includes('DELETED flip'));
      assert.deepEqual(events, ['ADDED stay', 'ADDED flip', 'DELETED flip']);
    } finally {
      stream.stop();
    }
  });

  test('bookmarks only when asked for', async () => {
    const events: WatchEventOf<KubeObject>[] = [];
    const list = await c.list(CMS, 'default');
    const stream = c.watch<KubeObject>(resourcePath(CMS, 'default'), { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: 'true' }, (e) => events.push(e));
    const plain: WatchEventOf<KubeObject>[] = [];
    const plainStream = c.watch<KubeObject>(resourcePath(CMS, 'default'), { resourceVersion: list.metadata.resourceVersion }, (e) => plain.push(e));
    try {
      await c.create(NS, '', { metadata: { name: 'bookmark-trigger' } });
      await eventually(() => events.some((e) => e.type === 'BOOKMARK'), 15_000);
      assert.equal(events.find((e) => e.type === 'BOOKMARK')!.object.kind, 'ConfigMap');
      assert.ok(!plain.some((e) => e.type === 'BOOKMARK'));
    } finally {
      stream.stop();
      plainStream.stop();
    }
  });

  test('watch from a revision older than the cache keeps gets 410 Expired', async (t) => {
    const small = await testCluster(t, { store: 'memory', watchHistory: 3 });
    const first = await small.client.create(CMS, 'default', configMap('old-0'));
    for (let i = 1; i <= 5; i++) await small.client.create(CMS, 'default', configMap(`old-${i}`));
    const events: WatchEventOf<{ code?: number; reason?: string; message?: string }>[] = [];
    const stream = small.client.watch<{ code?: number; reason?: string; message?: string }>(
      resourcePath(CMS, 'default'),
      { resourceVersion: first.metadata.resourceVersion },
      (e) => events.push(e),
    );
    await stream.done;
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'ERROR');
    assert.equal(events[0]!.object.code, 410);
    assert.equal(events[0]!.object.reason, 'Expired');
    assert.match(events[0]!.object.message!, new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`));
  });

  test('pods: defaults, Pending with a QoS class, graceful deletion only once bound', async () => {
    const pod = await c.create<Pod>(PODS, 'default', {
      metadata: { name: 'unbound' },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1', memory: '64Mi' } } }], nodeName: undefined as never, schedulerName: 'nobody' },
    } as never);
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.status?.qosClass, 'Guaranteed');
    assert.equal(pod.spec.containers[0]!.imagePullPolicy, 'Always');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    assert.ok(pod.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.tolerationSeconds === 300));
    // Not bound to a node: deleted at once.
    await c.delete(PODS, 'default', 'unbound');
    await rejects(c.get(PODS, 'default', 'unbound'), 404, 'NotFound');
  });

  test('finalizers hold a deleted object until they are removed', async () => {
    await c.create(CMS, 'default', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: {} });
    await c.delete(CMS, 'default', 'held');
    const pending = await c.get(CMS, 'default', 'held');
    assert.ok(pending.metadata.deletionTimestamp);
    await c.patch(CMS, 'default', 'held', { metadata: { finalizers: null } });
    await rejects(c.get(CMS, 'default', 'held'), 404, 'NotFound');
  });

  test('delete preconditions on uid', async () => {
    await c.create(CMS, 'default', configMap('precond'));
    const err = await rejects(c.delete(CMS, 'default', 'precond', { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict');
    assert.match(err.message, /^Operation cannot be fulfilled on configmaps "precond": Precondition failed: UID in precondition: not-the-uid, UID in object meta: /);
  });

  test('a strategic status patch naming another uid conflicts and changes nothing; with the right uid it applies', async () => {
    const pod = await c.create<Pod>(PODS, 'default', { metadata: { name: 'uid-patch' }, spec: { nodeName: 'uid-node', containers: [{ name: 'c', image: 'busybox' }] } } as never);
    const uid = pod.metadata.uid!;
    const err = await rejects(c.patch(PODS, 'default', 'uid-patch', { metadata: { uid: 'not-the-uid' }, status: { phase: 'Running' } }, 'strategic', 'status'), 409, 'Conflict');
    assert.equal(err.message, `Operation cannot be fulfilled on pods "uid-patch": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${uid}`);
    const unchanged = await c.get<Pod>(PODS, 'default', 'uid-patch');
    assert.equal(unchanged.status?.phase, 'Pending');
    assert.equal(unchanged.metadata.resourceVersion, pod.metadata.resourceVersion);
    const patched = await c.patch<Pod>(PODS, 'default', 'uid-patch', { metadata: { uid }, status: { phase: 'Running' } }, 'strategic', 'status');
    assert.equal(patched.status?.phase, 'Running');
    assert.equal(patched.metadata.uid, uid);
    // The same patch again stores nothing new.
    const again = await c.patch<Pod>(PODS, 'default', 'uid-patch', { metadata: { uid }, status: { phase: 'Running' } }, 'strategic', 'status');
    assert.equal(again.metadata.resourceVersion, patched.metadata.resourceVersion);
  });

  test('deleting a namespace removes its content, then the namespace', async () => {
    await c.create(NS, '', { metadata: { name: 'doomed' } });
    await c.create(CMS, 'doomed', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: {} });
    await c.delete(NS, '', 'doomed');
    // The finalizer keeps content in the namespace: it stays Terminating and refuses new objects.
    await eventually(async () => (await c.get(CMS, 'doomed', 'held')).metadata.deletionTimestamp);
    const ns = await c.get(NS, '', 'doomed');
    assert.equal((ns.status as { phase?: string }).phase, 'Terminating');
    const err = await rejects(c.create(CMS, 'doomed', configMap('late')), 403, 'Forbidden');
    assert.equal(err.message, 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    await c.patch(CMS, 'doomed', 'held', { metadata: { finalizers: null } });
    await eventually(async () => c.get(NS, '', 'doomed').then(() => false, (e) => e instanceof ApiError && e.code === 404), 20_000);
  });

  test('eviction uses up the budget: the second of two evictions against minAvailable 1 of 2 is refused', async () => {
    const PDBS = ApiClient.resourceOf('policy/v1', 'PodDisruptionBudget');
    const NODES = ApiClient.resourceOf('v1', 'Node');
    await c.create(NODES, '', { metadata: { name: 'evict-node' } });
    for (const name of ['evict-a', 'evict-b']) {
      await c.create<Pod>(PODS, 'default', { metadata: { name, labels: { app: 'budgeted' } }, spec: { nodeName: 'evict-node', containers: [{ name: 'c', image: 'busybox' }] } } as never);
      await c.patch(PODS, 'default', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'strategic', 'status');
    }
    await c.create(PDBS, 'default', { metadata: { name: 'budget' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'budgeted' } } } });
    await eventually(async () => ((await c.get(PDBS, 'default', 'budget')).status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed === 1);
    const evict = (name: string) =>
      c.request('POST', `${resourcePath(PODS, 'default', name)}/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } } });
    await evict('evict-a');
    const err = await rejects(evict('evict-b'), 429, 'TooManyRequests');
    assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
    assert.ok((await c.get(PODS, 'default', 'evict-a')).metadata.deletionTimestamp, 'the first eviction deleted its pod');
    assert.equal((await c.get(PODS, 'default', 'evict-b')).metadata.deletionTimestamp, undefined);
  });

  test('a list right after a write outside the registry (a Service address release) is consistent, not stalled', async () => {
    const SVCS = ApiClient.resourceOf('v1', 'Service');
    await c.create(SVCS, 'default', { metadata: { name: 'short-lived' }, spec: { ports: [{ port: 80 }] } });
    await c.delete(SVCS, 'default', 'short-lived');
    const list = await c.list(SVCS, 'default');
    assert.ok(!list.items.some((s) => s.metadata.name === 'short-lived'));
    assert.ok(Number(list.metadata.resourceVersion) >= Number(await k.store.currentRevision()) - 1);
  });

  test('DaemonSets count template changes in deprecated.daemonset.template.generation', async () => {
    const DS = ApiClient.resourceOf('apps/v1', 'DaemonSet');
    const generation = async () => (await c.get(DS, 'default', 'counted')).metadata.annotations?.['deprecated.daemonset.template.generation'];
    const template = (image: string) => ({ metadata: { labels: { app: 'counted' } }, spec: { containers: [{ name: 'c', image }] } });
    await c.create(DS, 'default', { metadata: { name: 'counted' }, spec: { selector: { matchLabels: { app: 'counted' } }, template: template('busybox:1') } });
    assert.equal(await generation(), '1');
    await c.patch(DS, 'default', 'counted', { metadata: { labels: { unrelated: 'yes' } } });
    assert.equal(await generation(), '1');
    await c.patch(DS, 'default', 'counted', { spec: { template: template('busybox:2') } });
    assert.equal(await generation(), '2');
  });

  test('an oversized body is refused with 413', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024 + 10);
    await rejects(c.create(CMS, 'default', { metadata: { name: 'big' }, data: { big } }), 413, 'RequestEntityTooLarge');
  });

  test('anonymous requests get 401 except public paths', async () => {
    const anon = new ApiClient({ server: k.server, ca: k.pki.ca.certPem });
    try {
      await rejects(anon.list(CMS, 'default'), 401, 'Unauthorized');
      const version = await anon.request<{ minor: string }>('GET', '/version');
      assert.equal(version.minor, '33');
    } finally {
      anon.close();
    }
  });
});
