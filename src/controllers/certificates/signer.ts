// The signer of kube-controller-manager for the API server's client signers: an approved request of
// kubernetes.io/kube-apiserver-client-kubelet (or kube-apiserver-client) is signed with the cluster
// CA and its certificate written through /status; one that breaks the signer's rules is Failed.

import type { ApiClient } from '../../client/client.js';
import { CsrController } from './csr-controller.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { KUBELET_CLIENT_SIGNER, KUBE_APISERVER_CLIENT_SIGNER, kubeletClientProblem } from './kubelet-client.js';
import { CSRS, hasCondition, nowStamp, requestPem, type CertificateSigningRequest, type CsrCondition } from './types.js';
import { parseCertificateRequest, signRequest, type SigningAuthority } from './x509.js';

/** kube-controller-manager's --cluster-signing-duration default: a year. */
export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3600 * 1000;
/** Certificates are valid from five minutes before signing, for clocks that lag. */
const BACKDATE_MS = 5 * 60 * 1000;
const SIGNERS = new Set([KUBELET_CLIENT_SIGNER, KUBE_APISERVER_CLIENT_SIGNER]);

export class CsrSigningController extends CsrController {
  constructor(
    client: ApiClient,
    private readonly ca: SigningAuthority,
    private readonly clock: Clock,
    log: Logger,
    private readonly maxDurationMs = DEFAULT_SIGNING_DURATION_MS,
  ) {
    super(client, log, 'certificate signing failed');
  }

  /** The validity a request gets: what it asks for (expirationSeconds), at most the signer's maximum. */
  duration(csr: CertificateSigningRequest): number {
    const asked = csr.spec.expirationSeconds;
    return typeof asked === 'number' && asked > 0 ? Math.min(asked * 1000, this.maxDurationMs) : this.maxDurationMs;
  }

  protected wants(csr: CertificateSigningRequest): boolean {
    return SIGNERS.has(csr.spec.signerName) && hasCondition(csr, 'Approved') && !hasCondition(csr, 'Denied') && !hasCondition(csr, 'Failed') && !csr.status?.certificate;
  }

  protected async sync(csr: CertificateSigningRequest): Promise<void> {
    const name = csr.metadata.name!;
    const parsed = await parseCertificateRequest(requestPem(csr)).catch((err: Error) => err);
    const usages = csr.spec.usages ?? [];
    const problem =
      parsed instanceof Error
        ? `unable to parse csr: ${parsed.message}`
        : !parsed.signatureValid
          ? 'the certificate request signature does not verify'
          : csr.spec.signerName === KUBELET_CLIENT_SIGNER
            ? kubeletClientProblem(parsed, usages)
            : usages.includes('client auth')
              ? undefined
              : 'invalid usage for client certificate: client auth is required';
    const now = this.clock.now();
    if (problem || parsed instanceof Error) {
      const failed: CsrCondition = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem ?? 'invalid request', lastUpdateTime: nowStamp(now), lastTransitionTime: nowStamp(now) };
      await this.client.update(CSRS, { ...csr, status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), failed] } }, 'status');
      this.log.warn('certificate signing request failed validation', { name, problem });
      return;
    }
    const certificate = await signRequest(this.ca, parsed, usages, new Date(now - BACKDATE_MS), this.duration(csr) + BACKDATE_MS);
    await this.client.update(CSRS, { ...csr, status: { ...csr.status, certificate: Buffer.from(certificate).toString('base64') } }, 'status');
    this.log.info('signed certificate signing request', { name });
  }
}
