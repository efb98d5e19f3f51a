// The Node authorizer and NodeRestriction through HTTP: a node's client certificate (issued by the
// cluster CA) reads and writes only what belongs to its own pods and Node, and is refused with
// Kubernetes' 403 messages otherwise. The graph follows pod events, so bindings and deletions count.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { ApiError } from '../../src/api/errors.js';
import { issueCertificate } from '../../src/apiserver/pki.js';
import type { KubeObject, Pod } from '../../src/api/types.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');
const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const SERVICE_ACCOUNTS = ApiClient.resourceOf('v1', 'ServiceAccount');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

async function refused(p: Promise<unknown>, code: number, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  });
}

test('a node credential reaches only its own pods, their objects, its Node and its Lease', async (t) => {
  const cluster = await testCluster(t, { store: 'memory' });
  const admin = cluster.client;
  const ns = `authz-${randomBytes(3).toString('hex')}`;
  const a = `node-a-${randomBytes(2).toString('hex')}`;
  const b = `node-b-${randomBytes(2).toString('hex')}`;
  await admin.create(NAMESPACES, '', { metadata: { name: ns } });
  t.after(() => admin.delete(NAMESPACES, '', ns).catch(() => {}));
  await eventually(() => admin.get(SERVICE_ACCOUNTS, ns, 'default').catch(() => undefined));
  const credential = await issueCertificate(cluster.pki.ca, { commonName: `system:node:${a}`, organizations: ['system:nodes'], usage: 'client' });
  const node = new ApiClient({ server: cluster.server, ca: cluster.pki.ca.certPem, cert: credential.certPem, key: credential.keyPem });
  t.after(() => node.close());

  for (const name of ['secret-a', 'secret-b']) await admin.create(SECRETS, ns, { metadata: { name }, data: { k: Buffer.from('v').toString('base64') } });
  await admin.create(CONFIG_MAPS, ns, { metadata: { name: 'config-a' }, data: { k: 'v' } });
  const pod = (name: string, nodeName: string, secret: string): KubeObject => ({
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName,
      containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'], env: [{ name: 'E', valueFrom: { configMapKeyRef: { name: nodeName === a ? 'config-a' : 'none', key: 'k' } } }] }],
      volumes: [{ name: 's', secret: { secretName: secret } }],
    },
  });
  await admin.create(PODS, ns, pod('pod-a', a, 'secret-a'));
  await admin.create(PODS, ns, pod('pod-b', b, 'secret-b'));

  // Pods: its own status, nothing of another node's.
  await node.patch(PODS, ns, 'pod-a', { status: { message: 'mine' } }, 'strategic', 'status');
  await refused(node.patch(PODS, ns, 'pod-b', { status: { message: 'theirs' } }, 'strategic', 'status'), 403, `pods "pod-b" is forbidden: node "${a}" can only update pod status for pods with spec.nodeName set to itself`);
  await refused(node.patch(PODS, ns, 'pod-a', { metadata: { labels: { app: 'x' } } }, 'strategic', 'status'), 403, `pods "pod-a" is forbidden: node "${a}" cannot update labels through pod status`);
  await refused(node.patch(PODS, ns, 'pod-b', { metadata: { labels: { x: 'y' } } }), 403, `pods "pod-b" is forbidden: User "system:node:${a}" cannot patch resource "pods" in API group "" in the namespace "${ns}"`);
  await refused(node.delete(PODS, ns, 'pod-b'), 403, `pods "pod-b" is forbidden: node "${a}" can only delete pods with spec.nodeName set to itself`);
  await refused(node.get(PODS, ns, 'pod-b'), 403, `pods "pod-b" is forbidden: User "system:node:${a}" cannot get resource "pods" in API group "" in the namespace "${ns}": no relationship found between node '${a}' and this object`);
  await refused(node.list(PODS, ns), 403, `pods is forbidden: User "system:node:${a}" cannot list resource "pods" in API group "" in the namespace "${ns}": can only list/watch pods with spec.nodeName field selector`);
  const mine = await node.list<Pod>(PODS, '', { fieldSelector: `spec.nodeName=${a}` });
  assert.deepEqual(mine.items.map((p) => p.metadata.name), ['pod-a']);
  await refused(
    node.create(PODS, ns, { metadata: { name: 'made-by-node' }, spec: { nodeName: a, containers: [{ name: 'c', image: 'busybox' }] } }),
    403,
    `pods "made-by-node" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "${a}" can only create mirror pods`,
  );

  // Secrets and config maps: only those its pods use.
  assert.equal((await node.get<KubeObject>(SECRETS, ns, 'secret-a')).metadata.name, 'secret-a');
  assert.equal((await node.get<KubeObject>(CONFIG_MAPS, ns, 'config-a')).metadata.name, 'config-a');
  await refused(node.get(SECRETS, ns, 'secret-b'), 403, `secrets "secret-b" is forbidden: User "system:node:${a}" cannot get resource "secrets" in API group "" in the namespace "${ns}": no relationship found between node '${a}' and this object`);
  await refused(node.list(SECRETS, ns), 403, `secrets is forbidden: User "system:node:${a}" cannot list resource "secrets" in API group "" in the namespace "${ns}": No Object name found`);
  await refused(node.delete(SECRETS, ns, 'secret-a'), 403, `secrets "secret-a" is forbidden: User "system:node:${a}" cannot delete resource "secrets" in API group "" in the namespace "${ns}": can only read resources of this type`);

  // Service-account tokens: for the service accounts of its pods.
  const tokenBody = (podName: string, uid: string) => ({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: podName, uid } } },
  });
  const podA = await admin.get<Pod>(PODS, ns, 'pod-a');
  const issued = await node.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, tokenBody('pod-a', podA.metadata.uid!));
  assert.ok(issued.status.token.split('.').length === 3);
  const podB = await admin.get<Pod>(PODS, ns, 'pod-b');
  await refused(
    node.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, tokenBody('pod-b', podB.metadata.uid!)),
    403,
    'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node',
  );
  await refused(
    node.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['x'] } } }),
    403,
    'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
  );
  await admin.create(SERVICE_ACCOUNTS, ns, { metadata: { name: 'unused' } });
  await refused(
    node.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/unused/token`, tokenBody('pod-a', podA.metadata.uid!)),
    403,
    `serviceaccounts "unused" is forbidden: User "system:node:${a}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "${ns}": no relationship found between node '${a}' and this object`,
  );

  // Its Node, and no other; labels it may not give itself.
  await node.create(NODES, '', { metadata: { name: a, labels: { 'kubernetes.io/hostname': a } } });
  t.after(() => admin.delete(NODES, '', a).catch(() => {}));
  await refused(node.create(NODES, '', { metadata: { name: b } }), 403, `nodes "${b}" is forbidden: node "${a}" is not allowed to modify node "${b}"`);
  await refused(
    node.patch(NODES, '', a, { metadata: { labels: { 'node-restriction.kubernetes.io/pool': 'gold' } } }),
    403,
    `nodes "${a}" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/pool`,
  );
  await node.patch(NODES, '', a, { metadata: { labels: { 'example.com/role': 'edge' } } });
  await refused(node.delete(NODES, '', a), 403, `nodes "${a}" is forbidden: User "system:node:${a}" cannot delete resource "nodes" in API group "" at the cluster scope`);
  // Nodes read every Node (routes to the other nodes' pod subnets), and change none but their own.
  assert.ok((await node.list<KubeObject>(NODES, '')).items.some((n) => n.metadata.name === a));
  await admin.create(NODES, '', { metadata: { name: b } });
  t.after(() => admin.delete(NODES, '', b).catch(() => {}));
  await refused(node.patch(NODES, '', b, { status: { phase: 'x' } }, 'strategic', 'status'), 403, `nodes "${b}" is forbidden: node "${a}" is not allowed to modify node "${b}"`);

  // Mirror pods: bound to itself and owned by its Node, referencing no other object (each would be
  // the node's to read through the graph); a plain one is created and gets no service account.
  const nodeUid = (await admin.get<KubeObject>(NODES, '', a)).metadata.uid!;
  const mirror = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name, annotations: { 'kubernetes.io/config.mirror': 'hash' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: a, uid: nodeUid, controller: true }] },
    spec: { nodeName: a, containers: [{ name: 'c', image: 'busybox' }], ...spec },
  });
  const mirrorRefused = (what: string) => `pods "grab" is forbidden: node "${a}" can not create pods that reference ${what}`;
  await refused(node.create(PODS, ns, mirror('grab', { volumes: [{ name: 's', secret: { secretName: 'secret-b' } }] })), 403, mirrorRefused('secrets'));
  await refused(node.create(PODS, ns, mirror('grab', { serviceAccountName: 'default' })), 403, mirrorRefused('a service account'));
  await refused(node.create(PODS, ns, mirror('grab', { containers: [{ name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: 'config-a' } }] }] })), 403, mirrorRefused('configmaps'));
  await refused(node.create(PODS, ns, mirror('grab', { volumes: [{ name: 'p', persistentVolumeClaim: { claimName: 'data' } }] })), 403, mirrorRefused('persistentvolumeclaims'));
  const created = await node.create<Pod>(PODS, ns, mirror('static-web'));
  assert.equal(created.spec.serviceAccountName, undefined);
  await refused(node.get(SECRETS, ns, 'secret-b'), 403, `secrets "secret-b" is forbidden: User "system:node:${a}" cannot get resource "secrets" in API group "" in the namespace "${ns}": no relationship found between node '${a}' and this object`);
  // Its account's tokens stay out of reach through it, though the node may ask for `default`'s (pod-a's).
  await refused(
    node.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/default/token`, tokenBody('static-web', created.metadata.uid!)),
    400,
    'cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.',
  );
  await node.delete(PODS, ns, 'static-web', { gracePeriodSeconds: 0 });

  // Its Lease in kube-node-lease only.
  await node.create(LEASES, 'kube-node-lease', { metadata: { name: a }, spec: { holderIdentity: a } });
  t.after(() => admin.delete(LEASES, 'kube-node-lease', a).catch(() => {}));
  await refused(node.create(LEASES, 'kube-node-lease', { metadata: { name: b }, spec: {} }), 403, `leases.coordination.k8s.io "${b}" is forbidden: can only access node lease with the same name as the requesting node`);
  await refused(node.get(LEASES, ns, a), 403, `leases.coordination.k8s.io "${a}" is forbidden: User "system:node:${a}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "${ns}": can only access leases in the "kube-node-lease" system namespace`);

  // The graph follows pods: once pod-a is gone its secret is no longer the node's.
  await node.delete(PODS, ns, 'pod-a', { gracePeriodSeconds: 0 });
  await eventually(() => node.get(SECRETS, ns, 'secret-a').then(() => false, (err) => err instanceof ApiError && err.code === 403));
});
