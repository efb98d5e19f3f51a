// CertificateSigningRequests end to end: kubelet client requests made with a bootstrap token are
// approved and signed for the asked duration; other requests wait for `kubectl certificate
// approve|deny`; an approved request that breaks its signer's rules fails; `kubectl get csr` shows it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { testCluster, eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { tokenSecret } from '../../src/cli/token.js';
import { createCertificateRequest } from '../../src/controllers/certificates/x509.js';
import type { CertificateSigningRequest } from '../../src/controllers/certificates/types.js';

const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const CSRS = ApiClient.resourceOf('certificates.k8s.io/v1', 'CertificateSigningRequest');
const word = (n: number) => [...randomBytes(n)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

test('kubelet client requests are approved and signed; others wait for kubectl certificate approve or deny', async (t) => {
  const cluster = await testCluster(t, { store: 'memory' });
  const token = { id: word(6), secret: word(16) };
  await cluster.client.create(SECRETS, 'kube-system', tokenSecret({ ...token, usages: ['authentication'], groups: [] }));
  const bootstrap = new ApiClient({ server: cluster.server, ca: cluster.pki.ca.certPem, token: `${token.id}.${token.secret}` });
  t.after(() => bootstrap.close());
  const request = async (name: string, organizations: string[], spec: Record<string, unknown>, client = bootstrap) => {
    const { requestPem } = await createCertificateRequest(`system:node:${name}`, organizations);
    await client.create(CSRS, '', { metadata: { name }, spec: { request: Buffer.from(requestPem).toString('base64'), ...spec } });
  };
  const suffix = word(4);
  const kubelet = `kubelet-${suffix}`;
  await request(kubelet, ['system:nodes'], { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], expirationSeconds: 3600 });
  const issued = await eventually(async () => {
    const csr = await cluster.client.get<CertificateSigningRequest>(CSRS, '', kubelet);
    return csr.status?.certificate ? csr : undefined;
  });
  const approved = issued.status!.conditions!.find((c) => c.type === 'Approved')!;
  assert.equal(approved.reason, 'AutoApproved');
  assert.equal(approved.message, 'Auto approving kubelet client certificate after SubjectAccessReview.');
  const cert = new X509Certificate(Buffer.from(issued.status!.certificate!, 'base64'));
  assert.match(cert.subject, new RegExp(`CN=system:node:${kubelet}`));
  assert.match(cert.subject, /O=system:nodes/);
  assert.ok(cert.verify(new X509Certificate(cluster.pki.ca.certPem).publicKey));
  // expirationSeconds 3600 from the signing, and valid from 5 minutes before it (the signer's backdating).
  assert.equal(Date.parse(cert.validTo) - Date.parse(cert.validFrom), (3600 + 300) * 1000, `${cert.validFrom} to ${cert.validTo}`);
  assert.ok(Date.parse(cert.validFrom) <= Date.now() && Date.parse(cert.validTo) > Date.now(), `${cert.validFrom} to ${cert.validTo}`);

  // Not a node's request (O=system:masters): left pending, and failed by the signer once approved.
  const masters = `masters-${suffix}`;
  await request(masters, ['system:masters'], { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] });
  const denied = `denied-${suffix}`;
  await request(denied, [], { signerName: 'example.com/signer', usages: ['client auth'] }, cluster.client);
  let rows = await cluster.kubectl(['get', 'csr', masters, denied]);
  assert.equal(rows.code, 0, rows.stderr);
  assert.match(rows.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
  assert.match(rows.stdout, new RegExp(`${masters}\\s+\\S+\\s+kubernetes.io/kube-apiserver-client-kubelet\\s+system:bootstrap:${token.id}\\s+<none>\\s+Pending\\n`));
  assert.match(rows.stdout, new RegExp(`${denied}\\s+\\S+\\s+example.com/signer\\s+k8ts-admin\\s+<none>\\s+Pending\\n`));

  const approve = await cluster.kubectl(['certificate', 'approve', masters]);
  assert.equal(approve.code, 0, approve.stderr);
  assert.equal(approve.stdout, `certificatesigningrequest.certificates.k8s.io/${masters} approved\n`);
  const deny = await cluster.kubectl(['certificate', 'deny', denied]);
  assert.equal(deny.code, 0, deny.stderr);
  const failed = await eventually(async () => {
    const csr = await cluster.client.get<CertificateSigningRequest>(CSRS, '', masters);
    return csr.status?.conditions?.find((c) => c.type === 'Failed');
  });
  assert.equal(failed.reason, 'SignerValidationFailure');
  assert.equal(failed.message, 'subject organization is not system:nodes');
  rows = await cluster.kubectl(['get', 'csr', masters, denied, kubelet]);
  assert.match(rows.stdout, new RegExp(`${masters}\\s.*\\sApproved,Failed\\n`));
  assert.match(rows.stdout, new RegExp(`${denied}\\s.*\\sDenied\\n`));
  assert.match(rows.stdout, new RegExp(`${kubelet}\\s.*\\s60m\\s+Approved,Issued\\n`));

  // An approval cannot be taken back, and a request's spec is the server's.
  const current = await cluster.client.get<CertificateSigningRequest>(CSRS, '', masters);
  const both = [...current.status!.conditions!, { type: 'Denied', status: 'True', reason: 'Changed', message: 'my mind' }];
  await assert.rejects(cluster.client.update(CSRS, { ...current, status: { conditions: both } }, 'approval'), (err: Error) => {
    assert.match(err.message, /status.conditions: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive/);
    return true;
  });
  await assert.rejects(cluster.client.update(CSRS, { ...current, status: { conditions: [] } }, 'approval'), (err: Error) => {
    assert.match(err.message, /status.conditions: Forbidden: updates may not remove a condition of type "Approved"/);
    return true;
  });
  const invalid = await cluster.kubectl(['create', '-f', '-'], {
    stdin: JSON.stringify({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: `bad-${suffix}` }, spec: { request: Buffer.from('not a request').toString('base64'), signerName: 'nodomain', usages: ['client auth', 'flying'], expirationSeconds: 60 } }),
  });
  assert.notEqual(invalid.code, 0);
  assert.match(invalid.stderr, /The CertificateSigningRequest "bad-\w+" is invalid: \n\* spec.request: Invalid value: \[\]byte\{0x6e, 0x6f, .*\}: PEM block type must be CERTIFICATE REQUEST\n/);
  assert.match(invalid.stderr, /spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form 'example.com\/signer-name'/);
  assert.match(invalid.stderr, /spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds \(10 minutes\)/);
  assert.match(invalid.stderr, /spec.usages\[1\]: Unsupported value: "flying": supported values: "signing", /);
});
