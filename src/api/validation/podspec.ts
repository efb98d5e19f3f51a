// PodSpec and PodTemplateSpec validation (core ValidatePodSpec / ValidatePodTemplateSpec).

import { field } from '../errors.js';
import type { PodSpec, Toleration } from '../types.js';
import {
  imageWhitespace,
  validateAppArmorProfile,
  validateContainers,
  validateEphemeralContainers,
  validateInitContainers,
  validateSeccompProfile,
} from './containers.js';
import { arr, child, eachObject, index, isObject, type Errs } from './field.js';
import { nameIsDNSSubdomain, validateAnnotations, validateLabelName, validateLabels, validateLabelSelector } from './meta.js';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidLabelValue } from './strings.js';
import { validateVolumes } from './volumes.js';

type Rec = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const MAX_INT32 = 2147483647;

export interface PodSpecOptions {
  /** The spec belongs to a Pod, not to a template inside another object. */
  isPod: boolean;
}

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_PATTERN = new RegExp(`^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`);
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const preemptionPolicies = ['PreemptLowerPriority', 'Never'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export const IP_ADDRESS_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function validatePodSpec(spec: PodSpec | undefined, path: string, opts: PodSpecOptions): Errs {
  const s = (isObject(spec) ? spec : { containers: [] }) as PodSpec;
  const errs: Errs = [];
  const gracePeriod = typeof s.terminationGracePeriodSeconds === 'number' ? s.terminationGracePeriodSeconds : undefined;
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    errs.push(field.required(child(path, 'terminationGracePeriodSeconds'), ''));
  }
  const vols = validateVolumes(s.volumes, child(path, 'volumes'));
  errs.push(...vols.errs);
  const ctx = { volumes: vols.names, gracePeriod, restartPolicy: s.restartPolicy };
  errs.push(...validateContainers(s.containers, ctx, child(path, 'containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, ctx, child(path, 'initContainers')));
  errs.push(...validateEphemeralContainers(s.ephemeralContainers, s.containers, s.initContainers, ctx, child(path, 'ephemeralContainers')));
  errs.push(...hostNetworkPorts(s, path, opts));
  errs.push(...enumValue(s.restartPolicy, restartPolicies, child(path, 'restartPolicy')));
  errs.push(...enumValue(s.dnsPolicy, dnsPolicies, child(path, 'dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(s, path));
  errs.push(...validateImagePullSecrets(s.imagePullSecrets, child(path, 'imagePullSecrets')));
  errs.push(...validateAffinity(s.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(s, child(path, 'dnsConfig')));
  errs.push(...validateTopologySpread(s.topologySpreadConstraints, child(path, 'topologySpreadConstraints')));
  eachObject(s.readinessGates, (g, i) => {
    const t = str(g?.conditionType);
    for (const msg of isQualifiedName(t)) errs.push(field.invalid(child(index(child(path, 'readinessGates'), i), 'conditionType'), t, msg));
  });
  const gates = new Set<string>();
  eachObject(s.schedulingGates, (g, i) => {
    const p = index(child(path, 'schedulingGates'), i);
    const name = str(g?.name);
    for (const msg of isQualifiedName(name)) errs.push(field.invalid(p, name, msg));
    if (gates.has(name)) errs.push(field.duplicate(p, name));
    gates.add(name);
  });
  if (s.serviceAccountName) {
    for (const msg of nameIsDNSSubdomain(s.serviceAccountName, false)) {
      errs.push(field.invalid(child(path, 'serviceAccountName'), s.serviceAccountName, msg));
    }
  }
  if (s.nodeName) {
    for (const msg of nameIsDNSSubdomain(s.nodeName, false)) errs.push(field.invalid(child(path, 'nodeName'), s.nodeName, msg));
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = s.activeDeadlineSeconds;
    if (v < 1 || v > MAX_INT32) errs.push(field.invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  if (s.hostname) for (const msg of isDNS1123Label(s.hostname)) errs.push(field.invalid(child(path, 'hostname'), s.hostname, msg));
  if (s.subdomain) for (const msg of isDNS1123Label(s.subdomain)) errs.push(field.invalid(child(path, 'subdomain'), s.subdomain, msg));
  if (Array.isArray(s.tolerations) && s.tolerations.length) errs.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  eachObject(s.hostAliases, (alias, i) => {
    const p = index(child(path, 'hostAliases'), i);
    if (!isValidIP(str(alias?.ip))) errs.push(field.invalid(child(p, 'ip'), str(alias?.ip), IP_ADDRESS_MSG));
    eachObject(alias?.hostnames, (h, j) => {
      for (const msg of isDNS1123Subdomain(h)) errs.push(field.invalid(index(child(p, 'hostnames'), j), h, msg));
    });
  });
  if (s.priorityClassName) {
    for (const msg of nameIsDNSSubdomain(s.priorityClassName, false)) {
      errs.push(field.invalid(child(path, 'priorityClassName'), s.priorityClassName, msg));
    }
  }
  if (typeof s.runtimeClassName === 'string') {
    for (const msg of nameIsDNSSubdomain(s.runtimeClassName, false)) {
      errs.push(field.invalid(child(path, 'runtimeClassName'), s.runtimeClassName, msg));
    }
  }
  if (s.preemptionPolicy !== undefined && s.preemptionPolicy !== null) {
    errs.push(...enumValue(s.preemptionPolicy, preemptionPolicies, child(path, 'preemptionPolicy')));
  }
  if (isObject(s.os)) {
    const os = str(s.os.name);
    if (!os) errs.push(field.required(child(child(path, 'os'), 'name'), ''));
    else if (os !== 'linux' && os !== 'windows') errs.push(field.notSupported(child(child(path, 'os'), 'name'), os, ['linux', 'windows']));
  }
  return errs;
}

/** Pod-only checks around the spec (validatePodMetadataAndSpec minus the metadata). */
export function validatePodOnlySpec(spec: PodSpec, path: string): Errs {
  const errs: Errs = [];
  if (!spec.serviceAccountName) {
    eachObject(spec.volumes, (v, vi) => {
      const projected = v.projected;
      if (!isObject(projected) || !Array.isArray(projected.sources)) return;
      projected.sources.forEach((src, si) => {
        if (isObject(src) && isObject(src.serviceAccountToken)) {
          const p = `${child(index(child(path, 'volumes'), vi), 'projected')}.sources[${si}].serviceAccountToken`;
          errs.push(field.forbidden(p, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  eachObject(spec.containers, (c, i) => errs.push(...imageWhitespace(c, index(child(path, 'containers'), i))));
  eachObject(spec.initContainers, (c, i) => errs.push(...imageWhitespace(c, index(child(path, 'initContainers'), i))));
  return errs;
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: PodSpec;
}

export function validatePodTemplateSpec(template: PodTemplateSpec | undefined, path: string): Errs {
  const t = template ?? {};
  const errs: Errs = [];
  const metaPath = child(path, 'metadata');
  errs.push(...validateLabels(t.metadata?.labels, child(metaPath, 'labels')));
  errs.push(...validateAnnotations(t.metadata?.annotations, child(metaPath, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), { isPod: false }));
  if (t.spec?.ephemeralContainers?.length) {
    errs.push(field.forbidden(child(child(path, 'spec'), 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

function enumValue(value: unknown, allowed: string[], path: string): Errs {
  if (value === undefined || value === null || value === '') return [field.required(path, '')];
  return allowed.includes(value as string) ? [] : [field.notSupported(path, value, allowed)];
}

function hostNetworkPorts(spec: PodSpec, path: string, opts: PodSpecOptions): Errs {
  const errs: Errs = [];
  if (!spec.hostNetwork) return errs;
  eachObject(spec.containers, (c, i) => {
    eachObject(c.ports, (port, j) => {
      const hp = port.hostPort ?? 0;
      if ((opts.isPod || hp !== 0) && hp !== port.containerPort) {
        const p = `${child(index(child(path, 'containers'), i), 'ports')}[${j}].hostPort`;
        errs.push(field.invalid(p, hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

function validatePodSecurityContext(spec: PodSpec, path: string): Errs {
  const errs: Errs = [];
  const sc = spec.securityContext;
  const scPath = child(path, 'securityContext');
  if (isObject(sc)) {
    for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const v = sc[f];
      if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(field.invalid(child(scPath, f), v, inclusiveRangeError(0, MAX_INT32)));
    }
    if (Array.isArray(sc.supplementalGroups)) {
      sc.supplementalGroups.forEach((g, i) => {
        if (typeof g === 'number' && (g < 0 || g > MAX_INT32)) {
          errs.push(field.invalid(index(child(scPath, 'supplementalGroups'), i), g, inclusiveRangeError(0, MAX_INT32)));
        }
      });
    }
    if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== 'OnRootMismatch' && sc.fsGroupChangePolicy !== 'Always') {
      errs.push(field.notSupported(child(scPath, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
    }
    const sysctls = arr(sc.sysctls as unknown[]);
    const seen = new Set<string>();
    sysctls.forEach((raw, i) => {
      const name = str(isObject(raw) ? raw.name : undefined);
      const p = `${child(scPath, 'sysctls')}[${i}].name`;
      if (!name) errs.push(field.required(p, ''));
      else if (name.length > 253 || !SYSCTL_PATTERN.test(name)) {
        errs.push(field.invalid(p, name, `must have at most 253 characters and match regex ${SYSCTL_PATTERN.source}`));
      } else if (seen.has(name)) errs.push(field.duplicate(p, name));
      seen.add(name);
    });
    errs.push(...validateSeccompProfile(sc.seccompProfile, child(scPath, 'seccompProfile')));
    errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(scPath, 'appArmorProfile')));
  }
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(field.invalid(child(scPath, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  return errs;
}

function validateImagePullSecrets(list: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!Array.isArray(list)) return errs;
  list.forEach((ref, i) => {
    if (isObject(ref) && Object.keys(ref).some((k) => k !== 'name')) errs.push(field.invalid(index(path, i), ref, 'only name may be set'));
  });
  return errs;
}

export function validateTolerations(tolerations: Toleration[], path: string): Errs {
  const errs: Errs = [];
  eachObject(tolerations, (t, i) => {
    const p = index(path, i);
    const k = str(t.key);
    if (k) errs.push(...validateLabelName(k, child(p, 'key')));
    if (!k && t.operator !== 'Exists') {
      errs.push(
        field.invalid(child(p, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(field.invalid(child(p, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const msgs = isValidLabelValue(str(t.value));
        if (msgs.length) errs.push(field.invalid(child(p, 'operator'), str(t.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t.value)) errs.push(field.invalid(child(p, 'operator'), str(t.value), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(field.notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !taintEffects.includes(t.effect)) errs.push(field.notSupported(child(p, 'effect'), t.effect, taintEffects));
  });
  return errs;
}

// ---- affinity ------------------------------------------------------------------------------------

function validateAffinity(affinity: Rec | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(affinity)) return errs;
  const node = affinity.nodeAffinity;
  if (isObject(node)) {
    const np = child(path, 'nodeAffinity');
    const required = node.requiredDuringSchedulingIgnoredDuringExecution;
    if (isObject(required)) errs.push(...validateNodeSelector(required, child(np, 'requiredDuringSchedulingIgnoredDuringExecution')));
    const preferred = node.preferredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(preferred)) {
      preferred.forEach((term, i) => {
        const p = index(child(np, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
        const t = isObject(term) ? term : {};
        errs.push(...weight(t.weight, child(p, 'weight')));
        errs.push(...validateNodeSelectorTerm(isObject(t.preference) ? t.preference : {}, child(p, 'preference')));
      });
    }
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = affinity[kind];
    if (!isObject(pa)) continue;
    const pp = child(path, kind);
    const required = pa.requiredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(required)) {
      required.forEach((term, i) => {
        errs.push(...validatePodAffinityTerm(isObject(term) ? term : {}, index(child(pp, 'requiredDuringSchedulingIgnoredDuringExecution'), i)));
      });
    }
    const preferred = pa.preferredDuringSchedulingIgnoredDuringExecution;
    if (Array.isArray(preferred)) {
      preferred.forEach((term, i) => {
        const p = index(child(pp, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
        const t = isObject(term) ? term : {};
        errs.push(...weight(t.weight, child(p, 'weight')));
        errs.push(...validatePodAffinityTerm(isObject(t.podAffinityTerm) ? t.podAffinityTerm : {}, child(p, 'podAffinityTerm')));
      });
    }
  }
  return errs;
}

function weight(w: unknown, path: string): Errs {
  const n = typeof w === 'number' ? w : 0;
  return n <= 0 || n > 100 ? [field.invalid(path, n, 'must be in the range 1-100')] : [];
}

function validateNodeSelector(selector: Rec, path: string): Errs {
  const terms = Array.isArray(selector.nodeSelectorTerms) ? selector.nodeSelectorTerms : [];
  if (terms.length === 0) return [field.required(child(path, 'nodeSelectorTerms'), 'must have at least one node selector term')];
  const errs: Errs = [];
  terms.forEach((term, i) => errs.push(...validateNodeSelectorTerm(isObject(term) ? term : {}, index(child(path, 'nodeSelectorTerms'), i))));
  return errs;
}

function validateNodeSelectorTerm(term: Rec, path: string): Errs {
  const errs: Errs = [];
  (Array.isArray(term.matchExpressions) ? term.matchExpressions : []).forEach((req, i) => {
    const r = isObject(req) ? req : {};
    const p = index(child(path, 'matchExpressions'), i);
    const values = Array.isArray(r.values) ? (r.values as string[]) : [];
    switch (r.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(field.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(field.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      case 'Gt':
      case 'Lt':
        if (values.length !== 1) errs.push(field.required(child(p, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
        break;
      default:
        errs.push(field.invalid(child(p, 'operator'), r.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(r.key), child(p, 'key')));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(str(v))) errs.push(field.invalid(index(child(p, 'values'), j), v, msg));
    });
  });
  (Array.isArray(term.matchFields) ? term.matchFields : []).forEach((req, i) => {
    const r = isObject(req) ? req : {};
    const p = index(child(path, 'matchFields'), i);
    if (r.key !== 'metadata.name') errs.push(field.notSupported(child(p, 'key'), r.key ?? '', ['metadata.name']));
    if (r.operator !== 'In' && r.operator !== 'NotIn') errs.push(field.invalid(child(p, 'operator'), r.operator ?? '', 'not a valid selector operator'));
    else if (!Array.isArray(r.values) || r.values.length !== 1) {
      errs.push(field.required(child(p, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    }
  });
  return errs;
}

function validatePodAffinityTerm(term: Rec, path: string): Errs {
  const errs: Errs = [];
  errs.push(...validateLabelSelector(isObject(term.labelSelector) ? term.labelSelector : undefined, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(isObject(term.namespaceSelector) ? term.namespaceSelector : undefined, child(path, 'namespaceSelector')));
  (Array.isArray(term.namespaces) ? term.namespaces : []).forEach((ns) => {
    for (const msg of isDNS1123Label(str(ns))) errs.push(field.invalid(child(path, 'namespace'), ns, msg));
  });
  const topologyKey = str(term.topologyKey);
  if (!topologyKey) errs.push(field.required(child(path, 'topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(topologyKey, child(path, 'topologyKey')));
  return errs;
}

const whenUnsatisfiableValues = ['DoNotSchedule', 'ScheduleAnyway'];
const inclusionPolicies = ['Honor', 'Ignore'];

function validateTopologySpread(constraints: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!Array.isArray(constraints)) return errs;
  const list = constraints.map((c) => (isObject(c) ? c : {}));
  list.forEach((c, i) => {
    const p = index(path, i);
    const maxSkew = typeof c.maxSkew === 'number' ? c.maxSkew : 0;
    if (maxSkew <= 0) errs.push(field.invalid(child(p, 'maxSkew'), maxSkew, 'must be greater than zero'));
    const key = str(c.topologyKey);
    if (!key) errs.push(field.required(child(p, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(key, child(p, 'topologyKey')));
    const when = str(c.whenUnsatisfiable);
    if (!whenUnsatisfiableValues.includes(when)) errs.push(field.notSupported(child(p, 'whenUnsatisfiable'), when, whenUnsatisfiableValues));
    if (list.slice(i + 1).some((o) => str(o.topologyKey) === key && str(o.whenUnsatisfiable) === when)) {
      errs.push(field.duplicate(child(p, '{topologyKey, whenUnsatisfiable}'), `{${key}, ${when}}`));
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      const minDomains = typeof c.minDomains === 'number' ? c.minDomains : 0;
      if (minDomains <= 0) errs.push(field.invalid(child(p, 'minDomains'), minDomains, 'must be greater than 0'));
      if (when !== 'DoNotSchedule') {
        errs.push(field.invalid(child(p, 'minDomains'), minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
      }
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = c[f];
      if (v !== undefined && v !== null && !inclusionPolicies.includes(str(v))) errs.push(field.notSupported(child(p, f), v, inclusionPolicies));
    }
    errs.push(...validateLabelSelector(isObject(c.labelSelector) ? c.labelSelector : undefined, child(p, 'labelSelector')));
  });
  return errs;
}

function validateDNSConfig(spec: PodSpec, path: string): Errs {
  const errs: Errs = [];
  const cfg = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (!isObject(cfg)) return [field.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!Array.isArray(cfg.nameservers) || cfg.nameservers.length === 0) {
      return [field.required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
    }
  }
  if (!isObject(cfg)) return errs;
  const nameservers = Array.isArray(cfg.nameservers) ? (cfg.nameservers as string[]) : [];
  if (nameservers.length > 3) errs.push(field.invalid(child(path, 'nameservers'), nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => {
    if (!isValidIP(str(ns))) errs.push(field.invalid(index(child(path, 'nameservers'), i), ns, IP_ADDRESS_MSG));
  });
  const searches = Array.isArray(cfg.searches) ? (cfg.searches as string[]) : [];
  if (searches.length > 32) errs.push(field.invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(field.invalid(child(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    if (s === '.') return;
    const trimmed = str(s).replace(/\.$/, '');
    for (const msg of isDNS1123Subdomain(trimmed.replaceAll('_', 'a'))) {
      errs.push(field.invalid(index(child(path, 'searches'), i), trimmed, msg));
    }
  });
  (Array.isArray(cfg.options) ? cfg.options : []).forEach((o, i) => {
    if (!isObject(o) || !str(o.name)) errs.push(field.required(index(child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}
