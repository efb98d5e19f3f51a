// certificates.k8s.io/v1 messages (kubectl certificate approve|deny sends them). Notation: see meta.ts.

export const certificatesSchema = `
CertificateSigningRequest
  1 metadata ObjectMeta
  2 spec CertificateSigningRequestSpec
  3 status CertificateSigningRequestStatus

CertificateSigningRequestSpec
  1 request bytes
  7 signerName string
  8 expirationSeconds int32 keep
  5 usages []string
  2 username string
  3 uid string
  4 groups []string
  6 extra map<string,ExtraValue>

ExtraValue
  1 items []string

CertificateSigningRequestStatus
  1 conditions []CertificateSigningRequestCondition
  2 certificate bytes

CertificateSigningRequestCondition
  1 type string
  6 status string
  2 reason string
  3 message string
  4 lastUpdateTime Time
  5 lastTransitionTime Time
`;
