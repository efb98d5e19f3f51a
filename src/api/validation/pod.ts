// Pod create, update and status-update validation (core ValidatePodCreate / ValidatePodUpdate /
// ValidatePodStatusUpdate).

import { field } from '../errors.js';
import type { Container, ContainerStatus, Pod, PodSpec, Toleration } from '../types.js';
import { jsonDiff } from './diff.js';
import { arr, child, deepEqual, eachObject, goStringMap, goStringSlice, immutable, index, invalidRendered, isObject, key, objects, type Errs } from './field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { validatePodOnlySpec, validatePodSpec, validateTolerations, IP_ADDRESS_MSG } from './podspec.js';
import { inclusiveRangeError, isIPv4, isIPv6, isQualifiedName, isValidIP } from './strings.js';
import { computeQoSClass } from '../qos.js';
import { tryParseQuantity } from '../quantity.js';

const MAX_INT32 = 2147483647;
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];
export const POD_UPDATE_FORBIDDEN = `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}`;

function validatePodMetadataAndSpec(pod: Pod): Errs {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  errs.push(...validatePodAnnotations(pod.metadata?.annotations));
  const spec = (isObject(pod.spec) ? pod.spec : { containers: [] }) as PodSpec;
  errs.push(...validatePodSpec(spec, 'spec', { isPod: true }));
  errs.push(...validatePodOnlySpec(spec, 'spec'));
  return errs;
}

function validatePodAnnotations(annotations: Record<string, string> | undefined): Errs {
  const cost = annotations?.[DELETION_COST];
  if (cost === undefined) return [];
  const n = Number(cost);
  if (/^-?[0-9]+$/.test(cost) && n >= -2147483648 && n <= MAX_INT32) return [];
  return [field.invalid(key('metadata.annotations', DELETION_COST), cost, 'must be a 32bit integer')];
}

export function validatePod(pod: Pod): Errs {
  const errs = validatePodMetadataAndSpec(pod);
  const spec = pod.spec ?? ({} as PodSpec);
  if (spec.ephemeralContainers?.length) errs.push(field.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (spec.nodeName && spec.schedulingGates?.length) {
    errs.push(field.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

export function validatePodUpdate(pod: Pod, old: Pod): Errs {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  const oldSpec = old.spec ?? ({ containers: [] } as PodSpec);

  for (const kind of ['containers', 'initContainers'] as const) {
    const next = arr(spec[kind]);
    const prev = arr(oldSpec[kind]);
    if (next.length !== prev.length) {
      errs.push(field.forbidden(`spec.${kind}`, 'pod updates may not add or remove containers'));
      return errs;
    }
    next.forEach((c, i) => {
      const image = isObject(c) && typeof c.image === 'string' ? c.image : '';
      if (!image) errs.push(field.required(`spec.${kind}[${i}].image`, ''));
      if (image.trim().length !== image.length) {
        errs.push(field.invalid(`spec.${kind}[${i}].image`, image, 'must not have leading or trailing whitespace'));
      }
    });
  }

  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (ads < 0 || ads > MAX_INT32) {
      errs.push(field.invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (oldAds !== undefined && oldAds !== null && oldAds < ads) {
      errs.push(field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oldAds !== undefined && oldAds !== null) {
    errs.push(field.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  errs.push(...onlyAddedTolerations(objects(spec.tolerations), objects(oldSpec.tolerations), 'spec.tolerations'));
  errs.push(...onlyDeletedSchedulingGates(objects(spec.schedulingGates), objects(oldSpec.schedulingGates), 'spec.schedulingGates'));

  if (deepEqual(spec, oldSpec)) return errs;
  const munged: PodSpec = { ...spec };
  munged.containers = arr(spec.containers).map((c, i) => ({ ...c, image: arr(oldSpec.containers)[i]?.image }));
  if (spec.initContainers) {
    munged.initContainers = arr(spec.initContainers).map((c, i) => ({ ...c, image: arr(oldSpec.initContainers)[i]?.image }));
  }
  setOrDelete(munged, 'activeDeadlineSeconds', oldSpec.activeDeadlineSeconds);
  setOrDelete(munged, 'schedulingGates', oldSpec.schedulingGates);
  setOrDelete(munged, 'tolerations', oldSpec.tolerations);
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (arr(oldSpec.schedulingGates).length > 0) {
    if (!deepEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
      errs.push(...nodeSelectorAdditionsOnly(munged.nodeSelector, oldSpec.nodeSelector, 'spec.nodeSelector'));
      setOrDelete(munged, 'nodeSelector', oldSpec.nodeSelector);
    }
    const oldNodeAffinity = isObject(oldSpec.affinity) ? oldSpec.affinity.nodeAffinity : undefined;
    const newNodeAffinity = isObject(munged.affinity) ? munged.affinity.nodeAffinity : undefined;
    if (!deepEqual(oldNodeAffinity, newNodeAffinity)) {
      errs.push(...nodeAffinityNarrowingOnly(newNodeAffinity, oldNodeAffinity, 'spec.affinity.nodeAffinity'));
      const rest = { ...(isObject(munged.affinity) ? munged.affinity : {}) };
      if (oldNodeAffinity === undefined) delete rest.nodeAffinity;
      else rest.nodeAffinity = oldNodeAffinity;
      if (Object.keys(rest).length === 0 && oldSpec.affinity === undefined) delete munged.affinity;
      else munged.affinity = rest;
    }
  }
  if (!deepEqual(munged, oldSpec)) {
    errs.push(field.forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n${jsonDiff(oldSpec, munged)}`));
  }
  return errs;
}

function setOrDelete<K extends keyof PodSpec>(spec: PodSpec, k: K, value: PodSpec[K] | undefined): void {
  if (value === undefined) delete spec[k];
  else spec[k] = value;
}

function onlyAddedTolerations(next: Toleration[], prev: Toleration[], path: string): Errs {
  for (const old of prev) {
    const found = next.some((t) => deepEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [field.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function onlyDeletedSchedulingGates(next: { name: string }[], prev: { name: string }[], path: string): Errs {
  const before = new Set(prev.map((g) => g.name));
  const errs: Errs = [];
  next.forEach((g, i) => {
    if (!before.has(g.name)) {
      errs.push(field.forbidden(child(index(path, i), 'name'), `only deletion is allowed, but found new scheduling gate '${g.name}'`));
    }
  });
  return errs;
}

function nodeSelectorAdditionsOnly(next: Record<string, string> | undefined, prev: Record<string, string> | undefined, path: string): Errs {
  for (const [k, v] of Object.entries(prev ?? {})) {
    if (next?.[k] !== v) return [invalidRendered(path, goStringMap(next), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)')];
  }
  return [];
}

/** While a pod is gated its required node affinity may only gain requirements, term by term. */
function nodeAffinityNarrowingOnly(next: unknown, prev: unknown, path: string): Errs {
  const termsOf = (a: unknown) => {
    const required = isObject(a) ? a.requiredDuringSchedulingIgnoredDuringExecution : undefined;
    return isObject(required) ? arr(required.nodeSelectorTerms as unknown[]) : undefined;
  };
  const oldTerms = termsOf(prev);
  if (!oldTerms || oldTerms.length === 0) return [];
  const newTerms = termsOf(next) ?? [];
  const termsPath = `${path}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
  if (newTerms.length !== oldTerms.length) {
    return [field.invalid(termsPath, newTerms, 'no additions/deletions to non-empty NodeSelectorTerms list are allowed while pod is gated')];
  }
  const errs: Errs = [];
  oldTerms.forEach((oldTerm, i) => {
    const newTerm = newTerms[i];
    const onlyAdditions = (['matchExpressions', 'matchFields'] as const).every((k) => {
      const before = arr((isObject(oldTerm) ? oldTerm[k] : undefined) as unknown[]);
      const after = arr((isObject(newTerm) ? newTerm[k] : undefined) as unknown[]);
      return before.every((req) => after.some((r) => deepEqual(r, req)));
    });
    if (!onlyAdditions) errs.push(field.invalid(index(termsPath, i), newTerm, 'only additions are allowed (no mutations or deletions)'));
  });
  return errs;
}

// ---- status --------------------------------------------------------------------------------------

const systemConditions = new Set(['PodScheduled', 'Ready', 'Initialized']);

export function validatePodStatusUpdate(pod: Pod, old: Pod): Errs {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodAnnotations(pod.metadata?.annotations));
  const status = pod.status ?? {};
  const oldStatus = old.status ?? {};
  eachObject(status.conditions, (c, i) => {
    if (systemConditions.has(c.type)) return;
    for (const msg of isQualifiedName(c.type ?? '')) errs.push(field.invalid(`metadata.conditions[${i}].Type`, c.type ?? '', msg));
  });
  if ((pod.spec?.nodeName ?? '') !== (old.spec?.nodeName ?? '')) {
    errs.push(field.forbidden('status.nodeName', 'may not be changed directly'));
  }
  const nominated = status.nominatedNodeName ?? '';
  if (nominated && nominated !== (oldStatus.nominatedNodeName ?? '')) {
    for (const msg of nameIsDNSSubdomain(nominated, false)) errs.push(field.invalid('status.nominatedNodeName', nominated, msg));
  }
  errs.push(...immutable(status.qosClass ?? '', oldStatus.qosClass ?? '', 'status.qosClass'));
  const restartPolicy = old.spec?.restartPolicy ?? 'Always';
  errs.push(...stateTransitions(status.containerStatuses, oldStatus.containerStatuses, 'status.containerStatuses', restartPolicy, () => false));
  const sidecars = new Set(objects(old.spec?.initContainers).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  errs.push(
    ...stateTransitions(status.initContainerStatuses, oldStatus.initContainerStatuses, 'status.initContainerStatuses', restartPolicy, (n) =>
      sidecars.has(n),
    ),
  );
  errs.push(
    ...stateTransitions(status.ephemeralContainerStatuses, oldStatus.ephemeralContainerStatuses, 'status.ephemeralContainerStatuses', 'Never', () => false),
  );
  errs.push(...validateIPs(status.podIPs, 'status.podIPs'));
  const hostIPs = status.hostIPs ?? [];
  if (hostIPs.length > 0) {
    if ((status.hostIP ?? '') !== hostIPs[0]!.ip) errs.push(field.invalid('status.hostIPs[0].ip', hostIPs[0]!.ip, 'must be equal to `hostIP`'));
    errs.push(...validateIPs(hostIPs, 'status.hostIPs'));
  }
  return errs;
}

function stateTransitions(
  next: ContainerStatus[] | undefined,
  prev: ContainerStatus[] | undefined,
  path: string,
  restartPolicy: string,
  mayRestart: (name: string) => boolean,
): Errs {
  const errs: Errs = [];
  if (restartPolicy === 'Always') return errs;
  const byName = new Map(objects(next).map((s) => [s.name, s]));
  eachObject(prev, (old, i) => {
    const terminated = old.state?.terminated;
    if (!terminated) return;
    if (terminated.exitCode !== 0 && restartPolicy === 'OnFailure') return;
    if (mayRestart(old.name)) return;
    const now = byName.get(old.name);
    if (now && !now.state?.terminated) errs.push(field.forbidden(`${index(path, i)}.state`, 'may not be transitioned to non-terminated state'));
  });
  return errs;
}

function validateIPs(list: { ip: string }[] | undefined, path: string): Errs {
  const errs: Errs = [];
  const ips = arr(list).map((e) => (isObject(e) && typeof e.ip === 'string' ? e.ip : ''));
  ips.forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(field.invalid(index(path, i), ip, IP_ADDRESS_MSG));
  });
  if (ips.length > 1) {
    const v4 = ips.filter(isIPv4).length;
    const v6 = ips.filter(isIPv6).length;
    if (ips.length > 2 || v4 !== 1 || v6 !== 1) {
      errs.push(field.invalid(path, goStringSlice(ips), 'may specify no more than one IP for each IP family'));
    }
    const seen = new Set<string>();
    ips.forEach((ip, i) => {
      if (seen.has(ip)) errs.push(field.duplicate(index(path, i), { ip }));
      seen.add(ip);
    });
  }
  return errs;
}

// ---- subresources: ephemeralcontainers, resize, binding ----------------------------------------

/** PUT/PATCH of /ephemeralcontainers: ephemeral containers may be added, never changed or removed. */
export function validatePodEphemeralContainersUpdate(pod: Pod, old: Pod): Errs {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  if (old.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    return [field.forbidden('', 'static pods do not support ephemeral containers')];
  }
  const next = new Map(objects(pod.spec?.ephemeralContainers).map((c) => [c.name, c]));
  for (const prev of objects(old.spec?.ephemeralContainers)) {
    const now = next.get(prev.name);
    if (!now) errs.push(field.forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(prev.name)} may not be removed\n`));
    else if (!deepEqual(prev, now)) {
      errs.push(field.forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(prev.name)} may not be changed\n${jsonDiff(prev, now)}`));
    }
  }
  return errs;
}

/** PATCH of /resize (1.33): only cpu and memory of regular containers and sidecars may change. */
export function validatePodResize(pod: Pod, old: Pod): Errs {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  if (old.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return [field.forbidden('', 'static pods cannot be resized')];
  if (isObject(old.spec?.os) && old.spec.os.name === 'windows') return [field.forbidden('', 'windows pods cannot be resized')];
  if (computeQoSClass(pod) !== (old.status?.qosClass ?? computeQoSClass(old))) {
    errs.push(field.invalid('spec', pod.status?.qosClass ?? '', 'Pod QOS Class may not change as a result of resizing'));
  }
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  const oldSpec = old.spec ?? ({ containers: [] } as PodSpec);
  const munged: PodSpec = { ...spec };
  munged.containers = arr(spec.containers).map((c, i) => {
    const prev = oldSpec.containers?.[i];
    if (!prev) return c;
    errs.push(...resizeChecks(c, prev, `spec.containers[${i}].resources`));
    const kept = withOldCpuMemory(c, prev);
    if (!deepEqual(kept, prev)) errs.push(field.forbidden('spec', 'only cpu and memory resources are mutable'));
    return kept;
  });
  if (spec.initContainers) {
    munged.initContainers = spec.initContainers.map((c, i) => {
      const prev = oldSpec.initContainers?.[i];
      if (!prev) return c;
      if (prev.restartPolicy !== 'Always') {
        if (!deepEqual(c, prev)) errs.push(field.forbidden('spec', 'resources for non-sidecar init containers are immutable'));
        return c;
      }
      errs.push(...resizeChecks(c, prev, `spec.initContainers[${i}].resources`));
      const kept = withOldCpuMemory(c, prev);
      if (!deepEqual(kept, prev)) errs.push(field.forbidden('spec', 'only cpu and memory resources for sidecar containers are mutable'));
      return kept;
    });
  }
  if (errs.length === 0 && !deepEqual(munged, oldSpec)) errs.push(field.forbidden('spec', 'only cpu and memory resources are mutable'));
  return errs;
}

type ResourceList = Record<string, string | number>;

function resizeChecks(c: Container, prev: Container, path: string): Errs {
  const errs: Errs = [];
  const removed = (next: ResourceList | undefined, before: ResourceList | undefined) => Object.keys(before ?? {}).some((k) => !(k in (next ?? {})));
  if (removed(c.resources?.requests, prev.resources?.requests)) errs.push(field.forbidden(`${path}.requests`, 'resource requests cannot be removed'));
  if (removed(c.resources?.limits, prev.resources?.limits)) errs.push(field.forbidden(`${path}.limits`, 'resource limits cannot be removed'));
  const policies = ((c as unknown as Record<string, unknown>).resizePolicy ?? []) as { resourceName?: string; restartPolicy?: string }[];
  const memoryPolicy = policies.find((p) => p.resourceName === 'memory')?.restartPolicy ?? '';
  if (memoryPolicy === '' || memoryPolicy === 'NotRequired') {
    const next = tryParseQuantity(c.resources?.limits?.memory);
    const before = tryParseQuantity(prev.resources?.limits?.memory);
    if (next && before && next.cmp(before) < 0) {
      errs.push(field.forbidden(`${path}.limits[memory]`, 'memory limits cannot be decreased unless resizePolicy is RestartContainer'));
    } else if (next && !before) {
      errs.push(field.forbidden(`${path}.limits[memory]`, 'memory limits cannot be added unless resizePolicy is RestartContainer'));
    }
  }
  return errs;
}

/** The container with cpu and memory put back to their old values, so that any other change shows. */
function withOldCpuMemory(c: Container, prev: Container): Container {
  const keep = (list: ResourceList | undefined, before: ResourceList | undefined): ResourceList | undefined => {
    if (!before) return undefined;
    const out: ResourceList = { ...(list ?? {}) };
    delete out.cpu;
    delete out.memory;
    if (before.cpu !== undefined) out.cpu = before.cpu;
    if (before.memory !== undefined) out.memory = before.memory;
    return out;
  };
  const limits = keep(c.resources?.limits, prev.resources?.limits);
  const requests = keep(c.resources?.requests, prev.resources?.requests);
  const resources = { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) };
  const out: Container = { ...c, resources };
  if (!prev.resources && !limits && !requests) delete out.resources;
  return out;
}

/** POST of /binding. */
export function validateBinding(binding: { target?: { kind?: string; name?: string } }): Errs {
  const errs: Errs = [];
  const kind = binding.target?.kind ?? '';
  if (kind && kind !== 'Node') errs.push(field.notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!binding.target?.name) errs.push(field.required('target.name', ''));
  return errs;
}
