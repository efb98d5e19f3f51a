// The cluster's certificates: a CA generated on first start, a serving certificate for the API
// server's names and addresses, and client certificates (admin, node agents). Kept in the data
// directory with private modes; reused on every later start while they still cover what is asked.

import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';

/** The X.509 library is loaded only when a certificate is made (a first start), not on every start. */
let x509Module: Promise<typeof X509> | undefined;
function x509Library(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as never);
    return lib;
  })();
  return x509Module;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface ClusterPki {
  ca: KeyPair;
  serving: KeyPair;
  admin: KeyPair;
  dir: string;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, true, ['sign']) as Promise<CryptoKey>;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

export async function createCa(commonName = 'k8ts-ca'): Promise<KeyPair> {
  const x509 = await x509Library();
  const keys = await newKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) };
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  /** DNS names and IP addresses (serving certificates). */
  hosts?: string[];
  usage: 'server' | 'client';
}

export async function issueCertificate(ca: KeyPair, options: IssueOptions): Promise<KeyPair> {
  const x509 = await x509Library();
  const keys = await newKeys();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const subject = [`CN=${options.commonName}`, ...(options.organizations ?? []).map((o) => `O=${o}`)].join(', ');
  const hosts = options.hosts ?? [];
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  if (hosts.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(hosts.map((h) => (isIP(h) ? { type: 'ip', value: h } : { type: 'dns', value: h }))),
    );
  }
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + ONE_YEAR_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) };
}

function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function readPair(dir: string, name: string): KeyPair | undefined {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function writePair(dir: string, name: string, pair: KeyPair): void {
  writePrivate(join(dir, `${name}.crt`), pair.certPem);
  writePrivate(join(dir, `${name}.key`), pair.keyPem);
}

/** Whether a serving certificate still covers every host and is valid for at least a day. */
function covers(pair: KeyPair, hosts: string[]): boolean {
  const cert = new X509Certificate(pair.certPem);
  if (Date.parse(cert.validTo) - Date.now() < 24 * 3600 * 1000) return false;
  const names = (cert.subjectAltName ?? '').split(', ');
  return hosts.every((h) => names.includes(isIP(h) ? `IP Address:${h}` : `DNS:${h}`));
}

/**
 * A client or serving certificate kept in `dir` under `name`, issued once and reused while it is
 * valid for at least a day and (serving) still covers its hosts.
 */
export async function ensureCertificate(dir: string, name: string, ca: KeyPair, options: IssueOptions): Promise<KeyPair> {
  const existing = readPair(dir, name);
  if (existing && covers(existing, options.hosts ?? [])) return existing;
  const pair = await issueCertificate(ca, options);
  writePair(dir, name, pair);
  return pair;
}

/** Loads the cluster's PKI from `dir`, creating what is missing (or no longer covers `hosts`). */
export async function ensurePki(dir: string, hosts: string[]): Promise<ClusterPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = await createCa();
    writePair(dir, 'ca', ca);
  }
  const allHosts = [...new Set(['localhost', '127.0.0.1', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...hosts])];
  let serving = readPair(dir, 'apiserver');
  if (!serving || !covers(serving, allHosts)) {
    serving = await issueCertificate(ca, { commonName: 'k8ts-apiserver', hosts: allHosts, usage: 'server' });
    writePair(dir, 'apiserver', serving);
  }
  let admin = readPair(dir, 'admin');
  if (!admin) {
    admin = await issueCertificate(ca, { commonName: 'k8ts-admin', organizations: ['system:masters'], usage: 'client' });
    writePair(dir, 'admin', admin);
  }
  return { ca, serving, admin, dir };
}

/** The user name and groups a verified client certificate stands for (CN and O, as Kubernetes reads them). */
export function certificateIdentity(subject: Record<string, string | string[] | undefined>): { name: string; groups: string[] } {
  const cn = subject.CN;
  const o = subject.O;
  return {
    name: Array.isArray(cn) ? cn[0] ?? "" : cn ?? "",
    groups: o === undefined ? [] : Array.isArray(o) ? o : [o],
  };
}
