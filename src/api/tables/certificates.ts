// Rows of certificates.k8s.io CertificateSigningRequests: signer, requestor, requested duration and
// the condition kubectl shows (Pending, Approved, Denied, then Failed and Issued).

import { humanDuration } from '../duration.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { NONE, since, text } from './format.js';
import type { Printer } from './types.js';

interface CsrView {
  spec?: { signerName?: string; username?: string; expirationSeconds?: number };
  status?: { certificate?: string; conditions?: { type?: string }[] };
}

/** How kubectl names a request's state: Denied before Approved before Pending, then ",Failed" and ",Issued". */
export function csrCondition(csr: CsrView): string {
  const types = new Set((csr.status?.conditions ?? []).map((c) => c.type));
  let state = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) state += ',Failed';
  if (csr.status?.certificate) state += ',Issued';
  return state;
}

export const certificateSigningRequestPrinter: Printer = {
  columns: [
    nameColumn,
    ageColumn,
    column('SignerName', { description: 'The signer the request is for.' }),
    column('Requestor', { description: 'The user that created the request.' }),
    column('RequestedDuration', { description: 'The requested duration of validity of the issued certificate.' }),
    column('Condition', { description: 'Approval and issuance of the request.' }),
  ],
  cells(object, now) {
    const csr = object as CsrView;
    const seconds = csr.spec?.expirationSeconds;
    return [
      text(object.metadata.name),
      since(object.metadata.creationTimestamp, now),
      csr.spec?.signerName || NONE,
      text(csr.spec?.username),
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : NONE,
      csrCondition(csr),
    ];
  },
};
