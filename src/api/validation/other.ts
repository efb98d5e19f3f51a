// coordination.k8s.io Lease, discovery.k8s.io EndpointSlice, policy PodDisruptionBudget.

import { field } from '../errors.js';
import type { KubeObject } from '../types.js';
import { child, immutable, index, invalidRendered, isObject, nonNegative, type Errs, rec, type Rec } from './field.js';
import { notMoreThan100Percent, validatePositiveIntOrPercent } from './intorpercent.js';
import {
  nameIsDNSSubdomain,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type LabelSelector,
} from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isQualifiedName } from './strings.js';

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

// ---- Lease -----------------------------------------------------------------------------------

export function validateLease(lease: KubeObject): Errs {
  return validateObjectMeta(lease.metadata, { namespaced: true, name: nameIsDNSSubdomain }).concat(leaseSpec(rec(lease.spec)));
}

function leaseSpec(spec: Rec): Errs {
  const errs: Errs = [];
  const duration = spec.leaseDurationSeconds;
  if (typeof duration === 'number' && duration <= 0) errs.push(field.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = spec.leaseTransitions;
  if (typeof transitions === 'number' && transitions < 0) {
    errs.push(field.invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateLeaseUpdate(lease: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(lease.metadata, old.metadata).concat(leaseSpec(rec(lease.spec)));
}

// ---- EndpointSlice ---------------------------------------------------------------------------

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

export function validateEndpointSlice(slice: KubeObject): Errs {
  const errs = validateObjectMeta(slice.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const addressType = str(slice.addressType);
  if (!addressType) errs.push(field.required('addressType', ''));
  else if (!addressTypes.includes(addressType)) errs.push(field.notSupported('addressType', addressType, addressTypes));
  const endpoints = list(slice.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(field.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  endpoints.forEach((e, i) => {
    const ep = rec(e);
    const p = index('endpoints', i);
    const addresses = list(ep.addresses).map(str);
    const aPath = child(p, 'addresses');
    if (addresses.length === 0) errs.push(field.required(aPath, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(field.tooMany(aPath, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      const ap = index(aPath, j);
      if (addressType === 'IPv4' && !isIPv4(a)) errs.push(field.invalid(ap, a, 'must be a valid IPv4 address'));
      if (addressType === 'IPv6' && !isIPv6(a)) errs.push(field.invalid(ap, a, 'must be a valid IPv6 address'));
      if (addressType === 'FQDN') for (const msg of isDNS1123Subdomain(a)) errs.push(field.invalid(ap, a, msg));
    });
    if (typeof ep.nodeName === 'string') {
      for (const msg of nameIsDNSSubdomain(ep.nodeName, false)) errs.push(field.invalid(child(p, 'nodeName'), ep.nodeName, msg));
    }
    if (typeof ep.hostname === 'string') {
      for (const msg of isDNS1123Label(ep.hostname)) errs.push(field.invalid(child(p, 'hostname'), ep.hostname, msg));
    }
  });
  const ports = list(slice.ports);
  if (ports.length > MAX_PORTS) errs.push(field.tooMany('ports', ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((raw, i) => {
    const port = rec(raw);
    const p = index('ports', i);
    const name = str(port.name);
    if (name) for (const msg of isDNS1123Label(name)) errs.push(field.invalid(child(p, 'name'), name, msg));
    if (names.has(name)) errs.push(field.duplicate(child(p, 'name'), name));
    names.add(name);
    if (port.protocol === undefined || port.protocol === null) errs.push(field.required(child(p, 'protocol'), ''));
    else if (!protocols.includes(str(port.protocol))) errs.push(field.notSupported(child(p, 'protocol'), port.protocol, protocols));
    if (typeof port.appProtocol === 'string') {
      for (const msg of isQualifiedName(port.appProtocol)) errs.push(field.invalid(child(p, 'appProtocol'), port.appProtocol, msg));
    }
  });
  return errs;
}

export function validateEndpointSliceUpdate(slice: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(slice.metadata, old.metadata);
  errs.push(...validateEndpointSlice(slice));
  errs.push(...immutable(slice.addressType ?? '', old.addressType ?? '', 'addressType'));
  return errs;
}

// ---- PodDisruptionBudget ---------------------------------------------------------------------

const evictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

export function validatePodDisruptionBudget(pdb: KubeObject): Errs {
  return validateObjectMeta(pdb.metadata, { namespaced: true, name: nameIsDNSSubdomain }).concat(pdbSpec(rec(pdb.spec)));
}

function pdbSpec(spec: Rec): Errs {
  const errs: Errs = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) {
    errs.push(invalidRendered('spec', JSON.stringify(spec), 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`));
    errs.push(...notMoreThan100Percent(spec[f], `spec.${f}`));
  }
  errs.push(...validateLabelSelector(isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (set(policy) && !evictionPolicies.includes(str(policy))) {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', policy, evictionPolicies));
  }
  return errs;
}

export function validatePodDisruptionBudgetUpdate(pdb: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(pdb.metadata, old.metadata).concat(pdbSpec(rec(pdb.spec)));
}

export function validatePodDisruptionBudgetStatusUpdate(pdb: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(pdb.metadata, old.metadata);
  const s = rec(pdb.status);
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...nonNegative(s[f], `status.${f}`));
  return errs;
}
