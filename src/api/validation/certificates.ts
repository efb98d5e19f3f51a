// certificates.k8s.io CertificateSigningRequest: a PEM certificate request, a qualified signer
// name, known usages, a duration of at least ten minutes, and consistent approval conditions.

import { field } from '../errors.js';
import type { KubeObject } from '../types.js';
import { duplicateRendered, index, invalidRendered, isObject, rec, type Errs, type Rec } from './field.js';
import { nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Subdomain } from './strings.js';

export const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

const CONDITION_TYPES = ['Approved', 'Denied', 'Failed'];

/** Go's %#v of a byte slice, as field errors render []byte values. */
function goBytes(value: Buffer): string {
  return `[]byte{${[...value].map((b) => `0x${b.toString(16)}`).join(', ')}}`;
}

/** The DER of a PEM CERTIFICATE REQUEST, or the reason it is not one. */
export function certificateRequestDer(pem: string): Buffer | string {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/.exec(pem);
  if (!m) return 'PEM block type must be CERTIFICATE REQUEST';
  if (m[1] !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  const der = Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
  if (der.length < 2 || der[0] !== 0x30) return 'asn1: structure error: tags don\'t match';
  return der;
}

function validateSpec(spec: Rec): Errs {
  const errs: Errs = [];
  const request = typeof spec.request === 'string' ? Buffer.from(spec.request, 'base64') : Buffer.alloc(0);
  const parsed = certificateRequestDer(request.toString('latin1'));
  if (typeof parsed === 'string') errs.push(invalidRendered('spec.request', goBytes(request), parsed));
  const signer = typeof spec.signerName === 'string' ? spec.signerName : '';
  if (!signer) errs.push(field.required('spec.signerName', ''));
  else {
    const slash = signer.indexOf('/');
    if (slash < 0 || isDNS1123Subdomain(signer.slice(0, slash)).length > 0 || signer.slice(slash + 1) === '') {
      errs.push(field.invalid('spec.signerName', signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    }
  }
  const seconds = spec.expirationSeconds;
  if (seconds !== undefined && seconds !== null && (typeof seconds !== 'number' || seconds < 600)) {
    errs.push(field.invalid('spec.expirationSeconds', seconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  const usages = Array.isArray(spec.usages) ? spec.usages : [];
  if (usages.length === 0) errs.push(field.required('spec.usages', 'usages must be provided'));
  const seen = new Set<unknown>();
  usages.forEach((u, i) => {
    if (!KEY_USAGES.includes(u as string)) errs.push(field.notSupported(index('spec.usages', i), u, KEY_USAGES));
    else if (seen.has(u)) errs.push(duplicateRendered(index('spec.usages', i), JSON.stringify(u)));
    seen.add(u);
  });
  return errs;
}

function validateStatus(status: Rec): Errs {
  const errs: Errs = [];
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const seen = new Set<string>();
  conditions.forEach((raw, i) => {
    const c = rec(raw);
    const path = index('status.conditions', i);
    const type = typeof c.type === 'string' ? c.type : '';
    if (!type) errs.push(field.required(`${path}.type`, ''));
    if (CONDITION_TYPES.includes(type)) {
      if (seen.has(type)) errs.push(duplicateRendered(`${path}.type`, JSON.stringify(type)));
      seen.add(type);
    }
    if (!['True', 'False', 'Unknown'].includes(c.status as string)) errs.push(field.notSupported(`${path}.status`, c.status, ['False', 'True', 'Unknown']));
    else if ((type === 'Approved' || type === 'Denied') && c.status !== 'True') {
      errs.push(field.notSupported(`${path}.status`, c.status, ['True']));
    }
  });
  if (seen.has('Approved') && seen.has('Denied')) {
    errs.push(field.invalid('status.conditions', 'Denied', 'Approved and Denied conditions are mutually exclusive'));
  }
  return errs;
}

function metadata(csr: KubeObject): Errs {
  return validateObjectMeta(csr.metadata, { namespaced: false, name: nameIsPathSegment });
}

export function validateCertificateSigningRequest(csr: KubeObject): Errs {
  return metadata(csr).concat(validateSpec(rec(csr.spec)), validateStatus(rec(csr.status)));
}

/** Approved and Denied are final: no update may take them away. */
function keepsFinalConditions(csr: KubeObject, old: KubeObject): Errs {
  const now = new Set(((rec(csr.status).conditions as unknown[]) ?? []).filter(isObject).map((c) => c.type));
  const errs: Errs = [];
  for (const c of ((rec(old.status).conditions as unknown[]) ?? []).filter(isObject)) {
    if ((c.type === 'Approved' || c.type === 'Denied' || c.type === 'Failed') && !now.has(c.type)) {
      errs.push(field.forbidden('status.conditions', `updates may not remove a condition of type "${c.type}"`));
    }
  }
  const before = rec(old.status).certificate;
  if (before && rec(csr.status).certificate !== before) errs.push(field.forbidden('status.certificate', 'updates may not modify existing certificate content'));
  return errs;
}

export function validateCertificateSigningRequestUpdate(csr: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(csr.metadata, old.metadata).concat(metadata(csr), validateStatus(rec(csr.status)), keepsFinalConditions(csr, old));
}

export const validateCertificateSigningRequestStatusUpdate = validateCertificateSigningRequestUpdate;
