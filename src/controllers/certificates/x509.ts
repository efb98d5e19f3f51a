// Certificate requests and certificates for the CSR controllers and the joining agent: parsing a
// PKCS#10 request, making one, and signing a requested public key with the cluster CA.

import { createPrivateKey, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

let library: Promise<typeof X509> | undefined;
/** The X.509 library, loaded on first use (not on every start). */
export function x509(): Promise<typeof X509> {
  library ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as never);
    return lib;
  })();
  return library;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SAN_OID = '2.5.29.17';

export interface ParsedRequest {
  request: X509.Pkcs10CertificateRequest;
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  signatureValid: boolean;
}

/** Parses a PEM CERTIFICATE REQUEST; throws with a reason when it is not one. */
export async function parseCertificateRequest(pem: string): Promise<ParsedRequest> {
  const lib = await x509();
  const request = new lib.Pkcs10CertificateRequest(pem);
  const names = { dns: [] as string[], ip: [] as string[], email: [] as string[], url: [] as string[] };
  const san = request.getExtension(SAN_OID);
  if (san) {
    const ext = new lib.SubjectAlternativeNameExtension(san.rawData);
    for (const n of ext.names.items) {
      const list = names[n.type as keyof typeof names];
      if (list) list.push(n.value);
    }
  }
  return {
    request,
    commonName: request.subjectName.getField('CN')[0] ?? '',
    organizations: request.subjectName.getField('O'),
    dnsNames: names.dns,
    ipAddresses: names.ip,
    emailAddresses: names.email,
    uris: names.url,
    signatureValid: await request.verify(),
  };
}

/** A new P-256 key and a request for `CN=<commonName>, O=<organization>...`, both PEM. */
export async function createCertificateRequest(commonName: string, organizations: string[]): Promise<{ requestPem: string; keyPem: string }> {
  const lib = await x509();
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name = [`CN=${commonName}`, ...organizations.map((o) => `O=${o}`)].join(', ');
  const request = await lib.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: EC });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { requestPem: request.toString('pem') + '\n', keyPem: keyPem.replace('\n\n', '\n') };
}

export interface SigningAuthority {
  certPem: string;
  keyPem: string;
}

const KEY_USAGE_FLAGS: Record<string, keyof typeof X509.KeyUsageFlags> = {
  'digital signature': 'digitalSignature',
  'content commitment': 'nonRepudiation',
  'key encipherment': 'keyEncipherment',
  'key agreement': 'keyAgreement',
  'data encipherment': 'dataEncipherment',
  'cert sign': 'keyCertSign',
  'crl sign': 'cRLSign',
  'encipher only': 'encipherOnly',
  'decipher only': 'decipherOnly',
};
const EXTENDED_USAGES: Record<string, string> = {
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
};

/** Signs the request's public key and subject (and its names) for `usages`, valid from `notBefore` for `durationMs`. */
export async function signRequest(ca: SigningAuthority, parsed: ParsedRequest, usages: string[], notBefore: Date, durationMs: number): Promise<string> {
  const lib = await x509();
  const caCert = new lib.X509Certificate(ca.certPem);
  const der = createPrivateKey(ca.keyPem).export({ type: 'pkcs8', format: 'der' });
  const signingKey = (await webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign'])) as webcrypto.CryptoKey;
  let flags = 0;
  for (const u of usages) if (KEY_USAGE_FLAGS[u]) flags |= lib.KeyUsageFlags[KEY_USAGE_FLAGS[u]!];
  const extended = usages.map((u) => EXTENDED_USAGES[u]).filter((u): u is string => !!u);
  const extensions: X509.Extension[] = [new lib.BasicConstraintsExtension(false, undefined, true)];
  if (flags) extensions.push(new lib.KeyUsagesExtension(flags, true));
  if (extended.length) extensions.push(new lib.ExtendedKeyUsageExtension(extended));
  extensions.push(await lib.AuthorityKeyIdentifierExtension.create(caCert, false));
  const san = parsed.request.getExtension(SAN_OID);
  if (san) extensions.push(san);
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
  const cert = await lib.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: parsed.request.subjectName,
    issuer: caCert.subjectName,
    notBefore,
    notAfter: new Date(notBefore.getTime() + durationMs),
    publicKey: parsed.request.publicKey,
    signingKey,
    signingAlgorithm: EC,
    extensions,
  });
  return cert.toString('pem') + '\n';
}
