// Bootstrap tokens through HTTP: `<id>.<secret>` authenticates as system:bootstrap:<id> in
// system:bootstrappers while its Secret is usable, and may then only ask for certificates and read
// cluster-info; cluster-info is readable anonymously and signed per signing token; expired token
// Secrets are deleted by the token cleaner.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { ApiError } from '../../src/api/errors.js';
import { tokenSecret } from '../../src/cli/token.js';
import { verifyDetachedSignature } from '../../src/controllers/bootstrap/jws.js';
import { createCertificateRequest } from '../../src/controllers/certificates/x509.js';
import type { KubeObject } from '../../src/api/types.js';

const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const CSRS = ApiClient.resourceOf('certificates.k8s.io/v1', 'CertificateSigningRequest');

const word = (n: number) => [...randomBytes(n)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

function anonymousGet(server: string, path: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(`${server}${path}`, { rejectUnauthorized: false, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

test('bootstrap tokens authenticate while usable and may only request certificates', async (t) => {
  const cluster = await testCluster(t, { store: 'memory' });
  const admin = cluster.client;
  const make = async (opts: { expires?: number; usages?: string[] } = {}) => {
    const token = { id: word(6), secret: word(16) };
    await admin.create(SECRETS, 'kube-system', tokenSecret({ ...token, usages: opts.usages ?? ['authentication', 'signing'], groups: ['system:bootstrappers:test'], ...(opts.expires !== undefined ? { expires: opts.expires } : {}) }));
    return token;
  };
  const clientFor = (bearer: string) => {
    const c = new ApiClient({ server: cluster.server, ca: cluster.pki.ca.certPem, token: bearer });
    t.after(() => c.close());
    return c;
  };

  const good = await make({ expires: Date.now() + 3600_000 });
  const bootstrap = clientFor(`${good.id}.${good.secret}`);
  const { requestPem } = await createCertificateRequest('system:node:boot', ['system:nodes']);
  const csrName = `csr-${word(5)}`;
  const created = await bootstrap.create<KubeObject & { spec: { username: string; groups: string[] } }>(CSRS, '', {
    metadata: { name: csrName },
    spec: { request: Buffer.from(requestPem).toString('base64'), signerName: 'example.com/none', usages: ['client auth'], username: 'forged' },
  });
  assert.equal(created.spec.username, `system:bootstrap:${good.id}`);
  assert.deepEqual(created.spec.groups, ['system:bootstrappers', 'system:bootstrappers:test', 'system:authenticated']);
  await assert.rejects(bootstrap.list(PODS, 'default'), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    assert.equal(err.message, `pods is forbidden: User "system:bootstrap:${good.id}" cannot list resource "pods" in API group "" in the namespace "default"`);
    return true;
  });
  await assert.rejects(bootstrap.update(CSRS, { ...created, status: { conditions: [{ type: 'Approved', status: 'True' }] } }, 'approval'), (err: unknown) => err instanceof ApiError && err.code === 403);

  const unauthorized = async (bearer: string) =>
    assert.rejects(clientFor(bearer).get(CSRS, '', csrName), (err: unknown) => err instanceof ApiError && err.code === 401 && err.message === 'Unauthorized');
  await unauthorized(`${good.id}.${word(16)}`);
  const expired = await make({ expires: Date.now() - 1000 });
  await unauthorized(`${expired.id}.${expired.secret}`);
  const signingOnly = await make({ usages: ['signing'] });
  await unauthorized(`${signingOnly.id}.${signingOnly.secret}`);

  // The token cleaner removes the expired token's Secret.
  await eventually(() => admin.get(SECRETS, 'kube-system', `bootstrap-token-${expired.id}`).then(() => false, (err) => err instanceof ApiError && err.code === 404));

  // cluster-info: anonymous, signed for every usable signing token, and no longer for a deleted one.
  const info = await eventually(async () => {
    const answer = await anonymousGet(cluster.server, '/api/v1/namespaces/kube-public/configmaps/cluster-info');
    const data = answer.code === 200 ? (JSON.parse(answer.body) as { data: Record<string, string> }).data : undefined;
    return data?.[`jws-kubeconfig-${good.id}`] && data[`jws-kubeconfig-${signingOnly.id}`] ? data : undefined;
  });
  assert.ok(verifyDetachedSignature(info[`jws-kubeconfig-${good.id}`]!, info.kubeconfig!, good.id, good.secret));
  assert.ok(!verifyDetachedSignature(info[`jws-kubeconfig-${good.id}`]!, info.kubeconfig!, good.id, word(16)));
  assert.match(Buffer.from(/certificate-authority-data: (\S+)/.exec(info.kubeconfig!)![1]!, 'base64').toString(), /BEGIN CERTIFICATE/);
  assert.equal(info[`jws-kubeconfig-${expired.id}`], undefined);
  assert.equal((await anonymousGet(cluster.server, '/api/v1/namespaces/kube-public/configmaps')).code, 401);
  assert.equal((await anonymousGet(cluster.server, '/api/v1/namespaces/kube-system/secrets')).code, 401);
  await admin.delete(SECRETS, 'kube-system', `bootstrap-token-${good.id}`);
  await eventually(async () => !(await admin.get<KubeObject & { data: Record<string, string> }>(CONFIG_MAPS, 'kube-public', 'cluster-info')).data[`jws-kubeconfig-${good.id}`]);
  await unauthorized(`${good.id}.${good.secret}`);
});
