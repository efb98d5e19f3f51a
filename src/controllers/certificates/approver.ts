// Auto-approval of kubelet client certificates (kube-controller-manager's csrapproving): a request
// for a node client certificate made with a bootstrap token, or by a node for its own name, is
// approved through /approval. Without RBAC, being a bootstrapper stands for the permission kubeadm
// grants bootstrap tokens (certificatesigningrequests/nodeclient).

import type { ApiClient } from '../../client/client.js';
import { CsrController } from './csr-controller.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { KUBELET_CLIENT_SIGNER, NODES_GROUP, kubeletClientProblem } from './kubelet-client.js';
import { CSRS, hasCondition, nowStamp, requestPem, type CertificateSigningRequest } from './types.js';
import { parseCertificateRequest } from './x509.js';

const BOOTSTRAPPERS = 'system:bootstrappers';

/** The approval message for a request, or undefined when it is not one to approve automatically. */
export async function autoApproval(csr: CertificateSigningRequest): Promise<string | undefined> {
  if (csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return undefined;
  let parsed;
  try {
    parsed = await parseCertificateRequest(requestPem(csr));
  } catch {
    return undefined;
  }
  if (kubeletClientProblem(parsed, csr.spec.usages ?? [])) return undefined;
  const groups = csr.spec.groups ?? [];
  if (groups.includes(BOOTSTRAPPERS)) return 'Auto approving kubelet client certificate after SubjectAccessReview.';
  if (groups.includes(NODES_GROUP) && csr.spec.username === parsed.commonName) return 'Auto approving self kubelet client certificate after SubjectAccessReview.';
  return undefined;
}

export class CsrApprovingController extends CsrController {
  constructor(
    client: ApiClient,
    private readonly clock: Clock,
    log: Logger,
  ) {
    super(client, log, 'certificate approval failed');
  }

  protected wants(csr: CertificateSigningRequest): boolean {
    return !hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied') && !csr.status?.certificate;
  }

  protected async sync(csr: CertificateSigningRequest): Promise<void> {
    const message = await autoApproval(csr);
    if (!message) return;
    const now = nowStamp(this.clock.now());
    const conditions = [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message, lastUpdateTime: now, lastTransitionTime: now }];
    await this.client.update(CSRS, { ...csr, status: { ...csr.status, conditions } }, 'approval');
    this.log.info('approved certificate signing request', { name: csr.metadata.name, requestor: csr.spec.username });
  }
}
