// Joining a cluster with a bootstrap token, as kubeadm's token discovery and the kubelet's TLS
// bootstrap do it: fetch cluster-info without trusting the server, check its JWS with the token and
// its CA against the pinned hash, and only then trust that CA; ask for a node client certificate
// with the token (a CertificateSigningRequest), wait until it is issued, and keep the key, the
// certificate and a kubeconfig in the data directory, used from then on.

import https from 'node:https';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiClient } from '../client/client.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { TOKEN_PATTERN } from '../apiserver/auth/bootstrap-tokens.js';
import { verifyDetachedSignature } from '../controllers/bootstrap/jws.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY } from '../controllers/bootstrap/cluster-info.js';
import { KUBELET_CLIENT_SIGNER } from '../controllers/certificates/kubelet-client.js';
import { createCertificateRequest } from '../controllers/certificates/x509.js';
import { writeKubeconfig } from '../cli/kubeconfig.js';
import type { Logger } from '../util/log.js';

export interface JoinOptions {
  /** https://host:port of an API server. */
  server: string;
  /** `<id>.<secret>`. */
  token: string;
  /** `sha256:<hex>` pins of the cluster CA's public key. */
  caCertHashes: string[];
  /** Trust cluster-info's CA on the token's signature alone. */
  unsafeSkipCaVerification?: boolean;
  nodeName: string;
  dataDir: string;
  log: Logger;
  /** How long to wait for the certificate (default 5 minutes). */
  timeoutMs?: number;
}

/** A join refused or failed: its message is the one line the user sees. */
export class JoinError extends Error {}

const USAGES = ['digital signature', 'client auth'];

/** Where a node's credential lives in its data directory. */
export function nodeKubeconfigPath(dataDir: string): string {
  return join(dataDir, 'kubeconfig');
}

/** The kubeconfig of an earlier join, when its certificate is still valid. */
export function existingCredential(dataDir: string): string | undefined {
  const path = nodeKubeconfigPath(dataDir);
  const certPath = join(dataDir, 'pki', 'node.crt');
  if (!existsSync(path) || !existsSync(certPath)) return undefined;
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return Date.parse(cert.validTo) > Date.now() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The kubeadm pin of a CA certificate: sha256 of its DER SubjectPublicKeyInfo. */
export function publicKeyPin(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

function get(url: string, ca: string | undefined): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...(ca ? { ca } : { rejectUnauthorized: false }), agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

interface ClusterInfo {
  kubeconfig: string;
  signatures: Record<string, string>;
}

async function fetchClusterInfo(server: string, ca: string | undefined): Promise<ClusterInfo> {
  const url = `${server.replace(/\/$/, '')}/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps/${CLUSTER_INFO_NAME}`;
  let answer;
  try {
    answer = await get(url, ca);
  } catch (err) {
    throw new JoinError(ca ? `the API server at ${server} does not present a certificate of the pinned CA: ${(err as Error).message}` : `cannot reach the API server at ${server}: ${(err as Error).message}`);
  }
  if (answer.code !== 200) throw new JoinError(`cannot read the ${CLUSTER_INFO_NAME} ConfigMap from ${server}: HTTP ${answer.code}`);
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(answer.body) as { data?: Record<string, string> }).data;
  } catch {
    throw new JoinError(`the ${CLUSTER_INFO_NAME} ConfigMap from ${server} is not JSON`);
  }
  const kubeconfig = data?.[KUBECONFIG_KEY];
  if (!kubeconfig) throw new JoinError(`there is no ${KUBECONFIG_KEY} in the ${CLUSTER_INFO_NAME} ConfigMap of ${server}`);
  const signatures = Object.fromEntries(Object.entries(data ?? {}).filter(([k]) => k.startsWith(JWS_KEY_PREFIX)).map(([k, v]) => [k.slice(JWS_KEY_PREFIX.length), v]));
  return { kubeconfig, signatures };
}

function clusterCa(kubeconfig: string): string {
  let doc: { clusters?: { cluster?: Record<string, string> }[] };
  try {
    doc = parse(kubeconfig) ?? {};
  } catch {
    throw new JoinError(`the ${CLUSTER_INFO_NAME} kubeconfig cannot be parsed`);
  }
  const data = doc.clusters?.[0]?.cluster?.['certificate-authority-data'];
  if (!data || doc.clusters!.length !== 1) throw new JoinError(`the ${CLUSTER_INFO_NAME} kubeconfig must name exactly one cluster with its certificate-authority-data`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/** Learns the cluster's CA safely (the token's signature, then the pin) and returns it. */
export async function discoverCa(opts: Pick<JoinOptions, 'server' | 'token' | 'caCertHashes' | 'unsafeSkipCaVerification'>): Promise<string> {
  const m = TOKEN_PATTERN.exec(opts.token);
  if (!m) throw new JoinError(`the bootstrap token "${opts.token}" was not of the form "${TOKEN_PATTERN.source}"`);
  const [, id, secret] = m as unknown as [string, string, string];
  for (const pin of opts.caCertHashes) {
    if (!/^sha256:[0-9a-f]{64}$/.test(pin)) throw new JoinError(`invalid hash "${pin}", expected "format:hex-value". Known format(s) are: sha256`);
  }
  if (!opts.caCertHashes.length && !opts.unsafeSkipCaVerification) {
    throw new JoinError('using token-based discovery without --discovery-token-ca-cert-hash can be unsafe: pass the hash (k8ts token create --print-join-command prints it), or --discovery-token-unsafe-skip-ca-verification to continue');
  }
  const info = await fetchClusterInfo(opts.server, undefined);
  const jws = info.signatures[id];
  if (!jws) throw new JoinError(`token id "${id}" is invalid for this cluster or it has expired. Use "k8ts token create" on the control-plane node to create a new valid token`);
  if (!verifyDetachedSignature(jws, info.kubeconfig, id, secret)) throw new JoinError("failed to verify JWS signature of received cluster info object, can't trust this API server");
  const ca = clusterCa(info.kubeconfig);
  let pin: string;
  try {
    pin = publicKeyPin(ca);
  } catch {
    throw new JoinError(`the CA certificate in the ${CLUSTER_INFO_NAME} ConfigMap cannot be parsed`);
  }
  if (opts.caCertHashes.length && !opts.caCertHashes.includes(pin)) {
    throw new JoinError(`cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${pin}" are pinned`);
  }
  // Now trusted: the server must prove itself with that CA, and say the same again.
  const again = await fetchClusterInfo(opts.server, ca);
  if (again.kubeconfig !== info.kubeconfig) throw new JoinError(`the ${CLUSTER_INFO_NAME} ConfigMap changed while joining: try again`);
  return ca;
}

function digestedName(keyPem: string, subject: string): string {
  const hash = createHash('sha512').update(keyPem).update(subject).update(USAGES.join(',')).digest('base64url');
  return `node-csr-${hash.slice(0, 43)}`;
}

interface Csr extends KubeObject {
  status?: { certificate?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Joins: discovery, a node client certificate through a CSR, the credential written. Returns the kubeconfig path. */
export async function joinCluster(opts: JoinOptions): Promise<string> {
  const ca = await discoverCa(opts);
  const subject = `system:node:${opts.nodeName}`;
  const { requestPem, keyPem } = await createCertificateRequest(subject, ['system:nodes']);
  const CSRS = ApiClient.resourceOf('certificates.k8s.io/v1', 'CertificateSigningRequest');
  const client = new ApiClient({ server: opts.server, ca, token: opts.token, userAgent: `k8ts-agent/${opts.nodeName}` });
  try {
    const name = digestedName(keyPem, subject);
    try {
      await client.create(CSRS, '', {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: { request: Buffer.from(requestPem).toString('base64'), signerName: KUBELET_CLIENT_SIGNER, usages: USAGES },
      });
    } catch (err) {
      if (err instanceof ApiError && err.code === 401) throw new JoinError('the bootstrap token was refused by the API server (Unauthorized): it is unknown, expired or not usable for authentication');
      if (err instanceof ApiError) throw new JoinError(`cannot create the certificate signing request: ${err.message}`);
      throw err;
    }
    opts.log.info('waiting for the node certificate', { csr: name });
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    for (;;) {
      let csr: Csr;
      try {
        csr = await client.get<Csr>(CSRS, '', name);
      } catch (err) {
        // A server restarting or overloaded meanwhile is waited out; anything else ends the join.
        const transient = !(err instanceof ApiError) || err.code >= 500 || err.code === 429;
        if (!transient || Date.now() > deadline) throw err instanceof ApiError ? new JoinError(`cannot read certificate signing request ${name}: ${err.message}`) : err;
        opts.log.warn('cannot read the certificate signing request yet; retrying', { csr: name, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      const refused = csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
      if (refused) {
        throw new JoinError(`certificate signing request ${name} is ${refused.type === 'Denied' ? 'denied' : 'failed'}, reason: ${refused.reason ?? ''}, message: ${refused.message ?? ''}`);
      }
      if (csr.status?.certificate) {
        const certPem = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
        checkIssuedCertificate(certPem, keyPem, ca, subject);
        return writeCredential(opts, ca, certPem, keyPem);
      }
      if (Date.now() > deadline) throw new JoinError(`timed out waiting for certificate signing request ${name} to be approved and issued`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    client.close();
  }
}

/** The issued certificate must be for our key and name, and signed by the cluster's CA. */
export function checkIssuedCertificate(certPem: string, keyPem: string, caPem: string, commonName: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new JoinError(`the issued node certificate cannot be read: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new JoinError('the issued node certificate is not for the key this agent generated');
  if (!cert.verify(new X509Certificate(caPem).publicKey)) throw new JoinError("the issued node certificate is not signed by the cluster's CA");
  if (!cert.subject.split('\n').includes(`CN=${commonName}`)) throw new JoinError(`the issued node certificate is not for ${commonName}: ${cert.subject.replace(/\n/g, ', ')}`);
}

function writeCredential(opts: JoinOptions, ca: string, certPem: string, keyPem: string): string {
  const pki = join(opts.dataDir, 'pki');
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  writeFileSync(join(pki, 'ca.crt'), ca, { mode: 0o644 });
  writeFileSync(join(pki, 'node.key'), keyPem, { mode: 0o600 });
  writeFileSync(join(pki, 'node.crt'), certPem, { mode: 0o644 });
  const path = nodeKubeconfigPath(opts.dataDir);
  writeKubeconfig(path, { name: 'k8ts', server: opts.server, caPem: ca, certPem, keyPem });
  return path;
}
