// The CertificateSigningRequest as the certificate controllers read it.

import type { KubeObject } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';

export interface CsrCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequest extends KubeObject {
  spec: {
    request: string;
    signerName: string;
    usages?: string[];
    expirationSeconds?: number;
    username?: string;
    groups?: string[];
  };
  status?: { conditions?: CsrCondition[]; certificate?: string };
}

export const CSRS = ApiClient.resourceOf('certificates.k8s.io/v1', 'CertificateSigningRequest');

export const hasCondition = (csr: CertificateSigningRequest, type: string) => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export const requestPem = (csr: CertificateSigningRequest) => Buffer.from(csr.spec.request ?? '', 'base64').toString('utf8');

export function nowStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
