// core/v1 kinds other than Pod: Namespace, Service, Endpoints, ConfigMap, Secret, ServiceAccount,
// Node and Event.

import { field } from '../errors.js';
import type { KubeObject, Taint } from '../types.js';
import { validatePortNumOrName } from './containers.js';
import {
  child,
  deepEqual,
  duplicateRendered,
  goQuote,
  goStringSlice,
  immutable,
  index,
  invalidRendered,
  isObject,
  key,
  type Errs,
  rec,
  type Rec,
} from './field.js';
import {
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  validateLabelName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.js';
import { IP_ADDRESS_MSG } from './podspec.js';
import { quantityAt, validateResourceQuantityValue } from './resources.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortNum,
} from './strings.js';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const MAX_SECRET_SIZE = 1024 * 1024;
const CIDR_MSG = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
const protocols = ['SCTP', 'TCP', 'UDP'];

// ---- Namespace -------------------------------------------------------------------------------

export function validateNamespace(ns: KubeObject): Errs {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, name: nameIsDNSLabel });
  errs.push(...namespaceFinalizers(ns));
  return errs;
}

function namespaceFinalizers(ns: KubeObject): Errs {
  const errs: Errs = [];
  list(rec(ns.spec).finalizers).forEach((f, i) => {
    const name = str(f);
    const p = index('spec.finalizers', i);
    for (const msg of isQualifiedName(name)) errs.push(field.invalid(p, name, msg));
    if (!name.includes('/') && name !== 'kubernetes') {
      errs.push(field.invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

export function validateNamespaceUpdate(ns: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(ns.metadata, old.metadata).concat(namespaceFinalizers(ns));
}

export function validateNamespaceStatusUpdate(ns: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata);
  const phase = str(rec(ns.status).phase);
  if (!ns.metadata.deletionTimestamp) {
    if (phase !== 'Active') errs.push(field.invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(field.invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

// ---- Service ---------------------------------------------------------------------------------

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const ipFamilies = ['IPv4', 'IPv6'];
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];

export function validateService(svc: KubeObject): Errs {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, name: nameIsDNS1035Label });
  const spec = rec(svc.spec);
  const type = str(spec.type);
  const clusterIPs = list(spec.clusterIPs).map(str);
  const headless = clusterIPs[0] === 'None' || spec.clusterIP === 'None';
  const ports = list(spec.ports).map(rec);
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(field.required('spec.ports', ''));
  switch (type) {
    case 'LoadBalancer':
    case 'NodePort':
      if (headless) errs.push(field.invalid('spec.clusterIPs[0]', clusterIPs[0] ?? 'None', `may not be set to 'None' for ${type} services`));
      break;
    case 'ExternalName': {
      if (clusterIPs.length > 0) errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (list(spec.ipFamilies).length > 0) errs.push(field.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
        errs.push(field.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      }
      const cname = str(spec.externalName).replace(/\.$/, '');
      if (cname) for (const msg of isDNS1123Subdomain(cname)) errs.push(field.invalid('spec.externalName', cname, msg));
      else errs.push(field.required('spec.externalName', ''));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = index('spec.ports', i);
    const name = str(port.name);
    if (ports.length > 1 && !name) errs.push(field.required(child(p, 'name'), ''));
    else if (name) {
      for (const msg of isDNS1123Label(name)) errs.push(field.invalid(child(p, 'name'), name, msg));
      if (names.has(name)) errs.push(field.duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const portNum = typeof port.port === 'number' ? port.port : 0;
    for (const msg of isValidPortNum(portNum)) errs.push(field.invalid(child(p, 'port'), portNum, msg));
    if (!port.protocol) errs.push(field.required(child(p, 'protocol'), ''));
    else if (!protocols.includes(str(port.protocol))) errs.push(field.notSupported(child(p, 'protocol'), port.protocol, protocols));
    errs.push(...validatePortNumOrName(port.targetPort, child(p, 'targetPort')));
    if (typeof port.appProtocol === 'string') {
      for (const msg of isQualifiedName(port.appProtocol)) errs.push(field.invalid(child(p, 'appProtocol'), port.appProtocol, msg));
    }
  });
  if (isObject(spec.selector)) errs.push(...validateLabels(spec.selector as Record<string, string>, 'spec.selector'));
  const affinity = str(spec.sessionAffinity);
  if (!affinity) errs.push(field.required('spec.sessionAffinity', ''));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(field.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  if (affinity === 'ClientIP') {
    const timeout = rec(rec(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
    if (typeof timeout !== 'number') {
      errs.push(field.required('spec.sessionAffinityConfig', 'when session affinity type is ClientIP'));
    } else if (timeout <= 0 || timeout > 86400) {
      errs.push(field.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
    }
  } else if (affinity === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(field.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...clusterIPFields(spec, type));
  list(spec.externalIPs).forEach((ip, i) => {
    if (!isValidIP(str(ip))) errs.push(field.invalid(index('spec.externalIPs', i), ip, IP_ADDRESS_MSG));
  });
  if (!type) errs.push(field.required('spec.type', ''));
  else if (!serviceTypes.includes(type)) errs.push(field.notSupported('spec.type', type, serviceTypes));
  if (type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (port.nodePort) errs.push(field.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((port, i) => {
    if (port.nodePort) {
      const k = `${str(port.protocol)}/${port.nodePort}`;
      if (nodePorts.has(k)) errs.push(field.duplicate(`spec.ports[${i}].nodePort`, port.nodePort));
      nodePorts.add(k);
    }
    const k = `${str(port.protocol)}/${port.port}`;
    if (portKeys.has(k)) {
      const rendered = `core.ServicePort{Name:"", Protocol:${goQuote(str(port.protocol))}, AppProtocol:(*string)(nil), Port:${port.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
      errs.push(duplicateRendered(index('spec.ports', i), rendered));
    }
    portKeys.add(k);
  });
  if (list(spec.loadBalancerSourceRanges).length > 0) {
    if (type !== 'LoadBalancer') errs.push(field.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    list(spec.loadBalancerSourceRanges).forEach((r, i) => {
      const v = str(r).trim();
      if (!isValidCIDR(v)) errs.push(field.invalid(index('spec.LoadBalancerSourceRanges', i), v, CIDR_MSG));
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(field.required('allocateLoadBalancerNodePorts', ''));
  }
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && list(spec.externalIPs).length > 0);
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible) {
    if (etp) errs.push(field.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(field.required('spec.externalTrafficPolicy', ''));
  else if (etp !== 'Cluster' && etp !== 'Local') errs.push(field.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  const needsHealthCheck = type === 'LoadBalancer' && etp === 'Local';
  const hc = typeof spec.healthCheckNodePort === 'number' ? spec.healthCheckNodePort : 0;
  if (!needsHealthCheck) {
    if (hc !== 0) {
      errs.push(field.invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
    }
  } else if (hc === 0) errs.push(field.required('spec.healthCheckNodePort', ''));
  else for (const msg of isValidPortNum(hc)) errs.push(field.invalid('spec.healthCheckNodePort', hc, msg));
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (type !== 'LoadBalancer') errs.push(field.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else for (const msg of isQualifiedName(str(spec.loadBalancerClass))) errs.push(field.invalid('spec.loadBalancerClass', spec.loadBalancerClass, msg));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined || itp === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(type)) errs.push(field.required('spec.internalTrafficPolicy', ''));
  } else if (itp !== 'Cluster' && itp !== 'Local') errs.push(field.notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  return errs;
}

function clusterIPFields(spec: Rec, type: string): Errs {
  const errs: Errs = [];
  if (type === 'ExternalName') return errs;
  const clusterIP = str(spec.clusterIP);
  const clusterIPs = list(spec.clusterIPs).map(str);
  const rendered = goStringSlice(clusterIPs);
  if (clusterIP) {
    if (clusterIPs.length === 0) errs.push(field.required('spec.clusterIPs', ''));
    else if (clusterIPs[0] !== clusterIP) errs.push(invalidRendered('spec.clusterIPs', rendered, 'first value must match `clusterIP`'));
  } else if (clusterIPs.length > 0) {
    errs.push(invalidRendered('spec.clusterIPs', rendered, 'must be empty when `clusterIP` is not specified'));
  }
  const families = list(spec.ipFamilies).map(str);
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!ipFamilies.includes(f)) errs.push(field.notSupported(index('spec.ipFamilies', i), f, ipFamilies));
    if (seen.has(f)) errs.push(field.duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && policy !== null && !ipFamilyPolicies.includes(str(policy))) {
    errs.push(field.notSupported('spec.ipFamilyPolicy', policy, ipFamilyPolicies));
  }
  let invalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        invalidIPs = true;
        errs.push(invalidRendered('spec.clusterIPs', rendered, "'None' must be the first and only value"));
      }
      return;
    }
    if (!isValidIP(ip)) {
      invalidIPs = true;
      errs.push(field.invalid(index('spec.clusterIPs', i), ip, IP_ADDRESS_MSG));
    }
  });
  if (clusterIPs.length > 2) errs.push(invalidRendered('spec.clusterIPs', rendered, 'may only hold up to 2 values'));
  if (invalidIPs) return errs;
  if (clusterIPs.length > 1 && !(clusterIPs.length === 2 && isIPv4(clusterIPs[0]!) !== isIPv4(clusterIPs[1]!))) {
    errs.push(invalidRendered('spec.clusterIPs', rendered, 'may specify no more than one IP for each IP family'));
  }
  const headless = clusterIPs.length === 1 && clusterIPs[0] === 'None';
  if (!headless) {
    clusterIPs.forEach((ip, i) => {
      const family = families[i];
      if (family === 'IPv4' && isIPv6(ip)) errs.push(field.invalid(index('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (family === 'IPv6' && !isIPv6(ip)) errs.push(field.invalid(index('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

const isHeadless = (spec: Rec) => {
  const ips = list(spec.clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
};

/** Once allocated, the primary cluster IP and IP family stay; the secondary may be added or released. */
function upgradeDowngrade(spec: Rec, oldSpec: Rec, what: 'clusterIPs' | 'ipFamilies'): Errs {
  const errs: Errs = [];
  const next = list(spec[what]).map(str);
  const prev = list(oldSpec[what]).map(str);
  const path = `spec.${what}`;
  const rendered = goStringSlice(next);
  const singular = what === 'clusterIPs' ? 'clusterIP' : 'ipFamily';
  if (next.length === prev.length) {
    prev.forEach((v, i) => {
      if (v !== next[i]) errs.push(invalidRendered(index(path, what === 'clusterIPs' ? i : 0), rendered, 'may not change once set'));
    });
  } else if (prev.length > next.length) {
    if (next.length === 0) errs.push(invalidRendered(index(path, 0), rendered, `primary ${singular} can not be unset`));
    else if (next[0] !== prev[0]) errs.push(invalidRendered(index(path, 0), rendered, 'may not change once set'));
    if (next.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(field.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, `must be set to 'SingleStack' when releasing the secondary ${singular}`));
    }
  } else if (prev.length > 0 && next[0] !== prev[0]) {
    errs.push(invalidRendered(index(path, 0), rendered, 'may not change once set'));
  }
  return errs;
}

export function validateServiceUpdate(svc: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const spec = rec(svc.spec);
  const oldSpec = rec(old.spec);
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    if (!(isHeadless(spec) && isHeadless(oldSpec))) errs.push(...upgradeDowngrade(spec, oldSpec, 'clusterIPs'));
    if (isHeadless(spec) === isHeadless(oldSpec) && !isHeadless(spec)) errs.push(...upgradeDowngrade(spec, oldSpec, 'ipFamilies'));
  }
  if (oldSpec.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && (spec.loadBalancerClass ?? null) !== (oldSpec.loadBalancerClass ?? null)) {
    errs.push(field.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  const hc = spec.healthCheckNodePort;
  if (oldSpec.healthCheckNodePort && hc !== oldSpec.healthCheckNodePort) {
    errs.push(field.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return errs.concat(validateService(svc));
}

export function validateServiceStatusUpdate(svc: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  list(rec(rec(svc.status).loadBalancer).ingress).forEach((ing, i) => {
    const ip = str(rec(ing).ip);
    if (ip && !isValidIP(ip)) errs.push(field.invalid(`status.loadBalancer.ingress[${i}].ip`, ip, 'must be a valid IP address'));
    const hostname = str(rec(ing).hostname);
    if (hostname) {
      for (const msg of isDNS1123Subdomain(hostname)) errs.push(field.invalid(`status.loadBalancer.ingress[${i}].hostname`, hostname, msg));
      if (isValidIP(hostname)) errs.push(field.invalid(`status.loadBalancer.ingress[${i}].hostname`, hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

// ---- Endpoints -------------------------------------------------------------------------------

export function validateEndpoints(ep: KubeObject): Errs {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  list(ep.subsets).forEach((s, i) => {
    const ss = rec(s);
    const p = index('subsets', i);
    const addresses = list(ss.addresses);
    const notReady = list(ss.notReadyAddresses);
    if (addresses.length === 0 && notReady.length === 0) errs.push(field.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    addresses.forEach((a, j) => errs.push(...endpointAddress(rec(a), index(child(p, 'addresses'), j))));
    notReady.forEach((a, j) => errs.push(...endpointAddress(rec(a), index(child(p, 'notReadyAddresses'), j))));
    const ports = list(ss.ports);
    ports.forEach((port, j) => errs.push(...endpointPort(rec(port), ports.length > 1, index(child(p, 'ports'), j))));
  });
  return errs;
}

function endpointAddress(a: Rec, path: string): Errs {
  const errs: Errs = [];
  const ip = str(a.ip);
  if (!isValidIP(ip)) errs.push(field.invalid(child(path, 'ip'), ip, IP_ADDRESS_MSG));
  else errs.push(...nonSpecialIP(ip, child(path, 'ip')));
  if (a.hostname) for (const msg of isDNS1123Label(str(a.hostname))) errs.push(field.invalid(child(path, 'hostname'), a.hostname, msg));
  if (a.nodeName) for (const msg of nameIsDNSSubdomain(str(a.nodeName), false)) errs.push(field.invalid(child(path, 'nodeName'), a.nodeName, msg));
  return errs;
}

function nonSpecialIP(ip: string, path: string): Errs {
  if (ip === '0.0.0.0' || ip === '::') return [field.invalid(path, ip, 'may not be unspecified (0.0.0.0)')];
  if (ip.startsWith('127.') || ip === '::1') return [field.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (ip.startsWith('169.254.') || /^fe[89ab]/i.test(ip)) return [field.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if (ip.startsWith('224.0.0.') || /^ff02:/i.test(ip)) {
    return [field.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  }
  return [];
}

function endpointPort(port: Rec, requireName: boolean, path: string): Errs {
  const errs: Errs = [];
  const name = str(port.name);
  if (requireName && !name) errs.push(field.required(child(path, 'name'), ''));
  else if (name) for (const msg of isDNS1123Label(name)) errs.push(field.invalid(child(path, 'name'), name, msg));
  const n = typeof port.port === 'number' ? port.port : 0;
  for (const msg of isValidPortNum(n)) errs.push(field.invalid(child(path, 'port'), n, msg));
  if (!port.protocol) errs.push(field.required(child(path, 'protocol'), ''));
  else if (!protocols.includes(str(port.protocol))) errs.push(field.notSupported(child(path, 'protocol'), port.protocol, protocols));
  if (typeof port.appProtocol === 'string') {
    for (const msg of isQualifiedName(port.appProtocol)) errs.push(field.invalid(child(path, 'appProtocol'), port.appProtocol, msg));
  }
  return errs;
}

export function validateEndpointsUpdate(ep: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(ep.metadata, old.metadata).concat(validateEndpoints(ep));
}

// ---- ConfigMap and Secret --------------------------------------------------------------------

export function validateConfigMap(cm: KubeObject): Errs {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const data = rec(cm.data);
  const binary = rec(cm.binaryData);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(field.invalid(key('data', k), k, msg));
    if (Object.hasOwn(binary, k)) errs.push(field.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(str(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const msg of isConfigMapKey(k)) errs.push(field.invalid(key('binaryData', k), k, msg));
    size += base64Length(str(v));
  }
  if (size > MAX_SECRET_SIZE) errs.push(field.tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(cm.metadata, old.metadata);
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!deepEqual(cm.data, old.data)) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
    if (!deepEqual(cm.binaryData, old.binaryData)) errs.push(field.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  return errs.concat(validateConfigMap(cm));
}

function base64Length(v: string): number {
  const clean = v.replace(/=+$/, '');
  return Math.floor((clean.length * 3) / 4);
}

const secretRequiredKeys: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export function validateSecret(secret: KubeObject): Errs {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const data = rec(secret.data);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(field.invalid(key('data', k), k, msg));
    size += base64Length(str(v));
  }
  if (size > MAX_SECRET_SIZE) errs.push(field.tooLong('data', MAX_SECRET_SIZE));
  const type = str(secret.type);
  switch (type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(field.required(key('metadata.annotations', 'kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secretRequiredKeys[type]![0]!;
      if (!Object.hasOwn(data, k)) {
        errs.push(field.required(key('data', k), ''));
        break;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.from(str(data[k]), 'base64').toString('utf8'));
        if (!isObject(parsed)) throw new SyntaxError('json: cannot unmarshal into Go value of type map[string]interface {}');
      } catch (e) {
        errs.push(field.invalid(key('data', k), '<secret contents redacted>', e instanceof Error ? e.message : String(e)));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!Object.hasOwn(data, 'username') && !Object.hasOwn(data, 'password')) {
        errs.push(field.required(key('data', 'username'), ''), field.required(key('data', 'password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!str(data['ssh-privatekey'])) errs.push(field.required(key('data', 'ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      for (const k of secretRequiredKeys[type]!) if (!Object.hasOwn(data, k)) errs.push(field.required(key('data', k), ''));
      break;
  }
  return errs;
}

export function validateSecretUpdate(secret: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(secret.metadata, old.metadata);
  errs.push(...immutable(secret.type ?? '', old.type ?? '', 'type'));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!deepEqual(secret.data, old.data)) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errs.concat(validateSecret(secret));
}

// ---- ServiceAccount --------------------------------------------------------------------------

export function validateServiceAccount(sa: KubeObject): Errs {
  return validateObjectMeta(sa.metadata, { namespaced: true, name: nameIsDNSSubdomain });
}

export function validateServiceAccountUpdate(sa: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(sa.metadata, old.metadata).concat(validateServiceAccount(sa));
}

// ---- Node ------------------------------------------------------------------------------------

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateNode(node: KubeObject): Errs {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, name: nameIsDNSSubdomain });
  const spec = rec(node.spec);
  errs.push(...validateTaints(list(spec.taints).map(rec) as unknown as Taint[], 'metadata.taints'));
  errs.push(...nodeResources(node));
  const cidrs = list(spec.podCIDRs).map(str);
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(field.invalid(index('spec.podCIDRs', i), c, CIDR_MSG));
  });
  if (cidrs.length > 1) {
    const v4 = cidrs.filter((c) => isIPv4(c.split('/')[0]!)).length;
    if (cidrs.length > 2 || v4 !== 1) errs.push(invalidRendered('spec.podCIDRs', goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(field.duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

function nodeResources(node: KubeObject): Errs {
  const errs: Errs = [];
  const status = rec(node.status);
  for (const section of ['capacity', 'allocatable'] as const) {
    for (const [name, raw] of Object.entries(rec(status[section]))) {
      const p = `status.${section}.${name}`;
      const q = quantityAt(raw, p, errs);
      if (q) errs.push(...validateResourceQuantityValue(name, q, p));
    }
  }
  return errs;
}

function validateTaints(taints: Taint[], path: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  taints.forEach((t, i) => {
    const p = index(path, i);
    errs.push(...validateLabelName(str(t.key), child(p, 'key')));
    const msgs = isValidLabelValue(str(t.value));
    if (msgs.length) errs.push(field.invalid(child(p, 'value'), str(t.value), msgs.join(';')));
    if (!t.effect) errs.push(field.required(child(p, 'effect'), ''));
    else if (!taintEffects.includes(t.effect)) errs.push(field.notSupported(child(p, 'effect'), t.effect, taintEffects));
    const k = `${t.effect ?? ''}\u0000${t.key ?? ''}`;
    if (seen.has(k)) {
      const rendered = `core.Taint{Key:${goQuote(t.key)}, Value:${goQuote(t.value)}, Effect:${goQuote(t.effect)}, TimeAdded:<nil>}`;
      errs.push(duplicateRendered(p, rendered, 'taints must be unique by key and effect pair'));
      return;
    }
    seen.add(k);
  });
  return errs;
}

export function validateNodeUpdate(node: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(node.metadata, old.metadata);
  errs.push(...nodeResources(node));
  const seen = new Set<string>();
  list(rec(node.status).addresses).forEach((a, i) => {
    const k = `${str(rec(a).type)}\u0000${str(rec(a).address)}`;
    if (seen.has(k)) errs.push(field.duplicate(index('status.addresses', i), a));
    seen.add(k);
  });
  const spec = rec(node.spec);
  const oldSpec = rec(old.spec);
  const oldCIDRs = list(oldSpec.podCIDRs).map(str);
  if (oldCIDRs.length > 0) {
    const cidrs = list(spec.podCIDRs).map(str);
    const forbidden = field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid');
    if (cidrs.length !== oldCIDRs.length) errs.push(forbidden);
    else oldCIDRs.forEach((c, i) => c !== cidrs[i] && errs.push(forbidden));
  }
  if (str(oldSpec.providerID) && oldSpec.providerID !== spec.providerID) {
    errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(list(spec.taints).map(rec) as unknown as Taint[], 'metadata.taints'));
  return errs;
}

// ---- Event (core/v1 and events.k8s.io/v1) ----------------------------------------------------

const REASON_LIMIT = 128;
const ACTION_LIMIT = 128;
const INSTANCE_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** The fields of an Event under either API's names. */
interface EventView {
  namespace: string;
  involvedNamespace: string;
  eventTime: unknown;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  message: string;
  type: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  count: unknown;
  source: Rec;
}

function coreEventView(e: KubeObject): EventView {
  return {
    namespace: e.metadata.namespace ?? '',
    involvedNamespace: str(rec(e.involvedObject).namespace),
    eventTime: e.eventTime,
    reportingController: str(e.reportingComponent),
    reportingInstance: str(e.reportingInstance),
    action: str(e.action),
    reason: str(e.reason),
    message: str(e.message),
    type: str(e.type),
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: e.count,
    source: rec(e.source),
  };
}

function eventsV1View(e: KubeObject): EventView {
  return {
    namespace: e.metadata.namespace ?? '',
    involvedNamespace: str(rec(e.regarding).namespace),
    eventTime: e.eventTime,
    reportingController: str(e.reportingController),
    reportingInstance: str(e.reportingInstance),
    action: str(e.action),
    reason: str(e.reason),
    message: str(e.note),
    type: str(e.type),
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    source: rec(e.deprecatedSource),
  };
}

const isSet = (v: unknown) => v !== undefined && v !== null && v !== '';

function legacyEventChecks(ev: EventView, controllerField: string): Errs {
  const errs: Errs = [];
  const mismatch = field.invalid('involvedObject.namespace', ev.involvedNamespace, 'does not match event.namespace');
  if (!isSet(ev.eventTime)) {
    if (!ev.involvedNamespace) {
      if (ev.namespace !== '' && ev.namespace !== 'default') errs.push(mismatch);
    } else if (ev.namespace !== ev.involvedNamespace) errs.push(mismatch);
  } else {
    if (!ev.involvedNamespace && ev.namespace !== 'default' && ev.namespace !== 'kube-system') errs.push(mismatch);
    if (!ev.reportingController) errs.push(field.required(controllerField, ''));
    for (const msg of isQualifiedName(ev.reportingController)) errs.push(field.invalid(controllerField, ev.reportingController, msg));
    if (!ev.reportingInstance) errs.push(field.required('reportingInstance', ''));
    if (ev.reportingInstance.length > INSTANCE_LIMIT) errs.push(field.invalid('reportingInstance', '', `can have at most ${INSTANCE_LIMIT} characters`));
    if (!ev.action) errs.push(field.required('action', ''));
    if (ev.action.length > ACTION_LIMIT) errs.push(field.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    if (!ev.reason) errs.push(field.required('reason', ''));
    if (ev.reason.length > REASON_LIMIT) errs.push(field.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if (ev.message.length > NOTE_LIMIT) errs.push(field.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const msg of isDNS1123Subdomain(ev.namespace)) errs.push(field.invalid('namespace', ev.namespace, msg));
  return errs;
}

/** core/v1 Events get only the registry's common metadata checks besides the legacy rules. */
export function validateCoreEvent(e: KubeObject): Errs {
  return legacyEventChecks(coreEventView(e), 'reportingComponent').concat(
    validateObjectMeta(e.metadata, { namespaced: true, name: nameIsPathSegment }),
  );
}

export function validateEventsV1Event(e: KubeObject): Errs {
  const ev = eventsV1View(e);
  const errs = legacyEventChecks(ev, 'reportingController');
  errs.push(...validateObjectMeta(e.metadata, { namespaced: true, name: nameIsDNSSubdomain }));
  if (!isSet(ev.eventTime)) errs.push(field.required('eventTime', ''));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(field.invalid('type', '', `has invalid value: ${ev.type}`));
  if (isSet(ev.firstTimestamp)) errs.push(field.invalid('firstTimestamp', '', 'needs to be unset'));
  if (isSet(ev.lastTimestamp)) errs.push(field.invalid('lastTimestamp', '', 'needs to be unset'));
  if (isSet(ev.count) && ev.count !== 0) errs.push(field.invalid('count', '', 'needs to be unset'));
  if (str(ev.source.component) || str(ev.source.host)) errs.push(field.invalid('source', '', 'needs to be unset'));
  const series = e.series;
  if (isObject(series)) {
    if (typeof series.count !== 'number' || series.count < 2) errs.push(field.invalid('series.count', '', 'should be at least 2'));
    if (!isSet(series.lastObservedTime)) errs.push(field.required('series.lastObservedTime', ''));
  }
  return errs;
}

export function validateCoreEventUpdate(e: KubeObject, old: KubeObject): Errs {
  return legacyEventChecks(coreEventView(e), 'reportingComponent').concat(validateObjectMetaUpdate(e.metadata, old.metadata));
}

export function validateEventsV1EventUpdate(e: KubeObject, old: KubeObject): Errs {
  const errs = legacyEventChecks(eventsV1View(e), 'reportingController');
  errs.push(...validateObjectMetaUpdate(e.metadata, old.metadata));
  const pairs: [string, string][] = [
    ['regarding', 'involvedObject'],
    ['reason', 'reason'],
    ['note', 'message'],
    ['deprecatedSource', 'source'],
    ['deprecatedFirstTimestamp', 'firstTimestamp'],
    ['deprecatedLastTimestamp', 'lastTimestamp'],
    ['deprecatedCount', 'count'],
    ['action', 'action'],
    ['related', 'related'],
    ['eventTime', 'eventTime'],
    ['reportingController', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
    ['type', 'type'],
  ];
  for (const [k, path] of pairs) errs.push(...immutable(e[k] ?? null, old[k] ?? null, path));
  return errs;
}

// ---- TokenRequest (the /token subresource of ServiceAccounts) --------------------------------

const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

export function validateTokenRequest(tr: KubeObject): Errs {
  const errs: Errs = [];
  const seconds = rec(tr.spec).expirationSeconds;
  if (typeof seconds !== 'number') return errs;
  if (seconds < MIN_TOKEN_SECONDS) errs.push(field.invalid('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes'));
  if (seconds > MAX_TOKEN_SECONDS) errs.push(field.invalid('spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}
