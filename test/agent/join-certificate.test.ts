// What a joining agent accepts as its node certificate: one for the key it generated and the name it
// asked for, signed by the CA it pinned. Anything else is refused before it is written to disk.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIssuedCertificate, JoinError } from '../../src/agent/join.js';
import { createCa, issueCertificate } from '../../src/apiserver/pki.js';

test('the issued node certificate must match the key, the name and the cluster CA', async () => {
  const ca = await createCa();
  const otherCa = await createCa('someone-else');
  const issued = await issueCertificate(ca, { commonName: 'system:node:edge-1', organizations: ['system:nodes'], usage: 'client' });
  assert.doesNotThrow(() => checkIssuedCertificate(issued.certPem, issued.keyPem, ca.certPem, 'system:node:edge-1'));

  const otherKey = await issueCertificate(ca, { commonName: 'system:node:edge-1', organizations: ['system:nodes'], usage: 'client' });
  assert.throws(() => checkIssuedCertificate(issued.certPem, otherKey.keyPem, ca.certPem, 'system:node:edge-1'), (err: unknown) => err instanceof JoinError && err.message === 'the issued node certificate is not for the key this agent generated');
  assert.throws(() => checkIssuedCertificate(issued.certPem, issued.keyPem, otherCa.certPem, 'system:node:edge-1'), { message: "the issued node certificate is not signed by the cluster's CA" });
  assert.throws(() => checkIssuedCertificate(issued.certPem, issued.keyPem, ca.certPem, 'system:node:edge-2'), { message: /^the issued node certificate is not for system:node:edge-2: / });
  assert.throws(() => checkIssuedCertificate('not a certificate', issued.keyPem, ca.certPem, 'system:node:edge-1'), { message: /^the issued node certificate cannot be read: / });
});
