// certificates.k8s.io/v1: CertificateSigningRequest.
import { Time, topLevel } from './meta.js';
import { bytes, int32, keyed, list, map, ref, req, string, struct } from './dsl.js';

const CERTS = 'io.k8s.api.certificates.v1';

export const CertificateSigningRequestSpec = struct(`${CERTS}.CertificateSigningRequestSpec`, 'What a certificate is requested for.', {
  expirationSeconds: int32('Requested duration of validity of the issued certificate, in seconds (at least 600).'),
  extra: map({ kind: 'array', items: { kind: 'string' }, list: { type: 'atomic' } }, 'Extra attributes of the requesting user. Set by the API server.'),
  groups: list('string', 'Groups of the requesting user. Set by the API server.'),
  request: req(bytes('A PEM-encoded PKCS#10 CERTIFICATE REQUEST.')),
  signerName: req(string('The signer the request is for, such as kubernetes.io/kube-apiserver-client-kubelet.')),
  uid: string('UID of the requesting user. Set by the API server.'),
  usages: list('string', 'Key usages and extended key usages requested in the certificate.'),
  username: string('Name of the requesting user. Set by the API server.'),
});

export const CertificateSigningRequestCondition = struct(`${CERTS}.CertificateSigningRequestCondition`, 'One condition of a request: Approved, Denied or Failed.', {
  lastTransitionTime: ref(Time, 'When the condition last changed status.'),
  lastUpdateTime: ref(Time, 'When the condition was last updated.'),
  message: string('Details for humans.'),
  reason: string('A brief reason.'),
  status: req(string('True, False or Unknown.')),
  type: req(string('Approved, Denied or Failed.')),
});

export const CertificateSigningRequestStatus = struct(`${CERTS}.CertificateSigningRequestStatus`, 'Approval and the issued certificate.', {
  certificate: bytes('The issued certificate chain, PEM-encoded.'),
  conditions: list(CertificateSigningRequestCondition, 'Approved, Denied and Failed conditions.', keyed('type')),
});

export const CertificateSigningRequest = topLevel(
  'certificates.k8s.io',
  'v1',
  'CertificateSigningRequest',
  'Requests a certificate from a signer; approved requests are signed by that signer.',
  {
    spec: req(ref(CertificateSigningRequestSpec, 'The request.')),
    status: ref(CertificateSigningRequestStatus, 'Approval and the issued certificate.'),
  },
);
