// Containers of every kind (regular, init with sidecars, ephemeral): names, images, ports, env,
// mounts, probes, hooks, resources, security context.

import { field } from '../errors.js';
import type { Container, ContainerPort, LifecycleHandler, Probe } from '../types.js';
import { child, eachObject, index, invalidRendered, isAbsent, isObject, objects, type Errs } from './field.js';
import { nameIsDNSSubdomain } from './meta.js';
import { validateResourceRequirements } from './resources.js';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isEnvVarName,
  isHTTPHeaderName,
  isValidPortName,
  isValidPortNum,
  NON_NEGATIVE_MSG,
} from './strings.js';
import {
  envFieldPaths,
  localDescendingPath,
  validateConfigMapKey,
  validateObjectFieldSelector,
  validateResourceFieldSelector,
} from './volumes.js';

type Rec = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

export interface ContainerContext {
  /** Names of volumes that passed validation. */
  volumes: Set<string>;
  /** spec.terminationGracePeriodSeconds, bounding sleep hooks. */
  gracePeriod: number | undefined;
  /** spec.restartPolicy: a Never pod cannot restart a container to resize it. */
  restartPolicy: string | undefined;
}

const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const schemes = ['HTTP', 'HTTPS'];
const mountPropagations = ['Bidirectional', 'HostToContainer', 'None'];
const recursiveReadOnlyModes = ['Disabled', 'Enabled', 'IfPossible'];
const ephemeralForbidden = ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resizePolicy', 'restartPolicy'];

export function validateContainers(list: Container[] | undefined, ctx: ContainerContext, path: string): Errs {
  if (!Array.isArray(list) || list.length === 0) return [field.required(path, '')];
  const errs: Errs = [];
  const names = new Set<string>();
  list.forEach((raw, i) => {
    const c = isObject(raw) ? raw : ({} as Container);
    const p = index(path, i);
    errs.push(...validateContainerCommon(c, ctx, p));
    if (names.has(c.name)) errs.push(field.duplicate(child(p, 'name'), c.name));
    else names.add(c.name);
    if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, child(p, 'lifecycle')));
    errs.push(...validateProbes(c, p));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      errs.push(field.forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...hostPortConflicts(list, path));
  return errs;
}

export function validateInitContainers(list: Container[] | undefined, regular: Container[] | undefined, ctx: ContainerContext, path: string): Errs {
  const errs: Errs = [];
  if (!Array.isArray(list)) return errs;
  const names = new Set(objects(regular).map((c) => c.name));
  list.forEach((raw, i) => {
    const c = isObject(raw) ? raw : ({} as Container);
    const p = index(path, i);
    errs.push(...validateContainerCommon(c, ctx, p));
    let sidecar = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      if (c.restartPolicy === 'Always') sidecar = true;
      else errs.push(field.notSupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
    }
    if (names.has(c.name)) errs.push(field.duplicate(child(p, 'name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...hostPortConflicts([c], path));
    if (sidecar) {
      if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, ctx.gracePeriod, child(p, 'lifecycle')));
      errs.push(...validateProbes(c, p));
    } else {
      const forbidden = 'may not be set for init containers without restartPolicy=Always';
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[f]) errs.push(field.forbidden(child(p, f), forbidden));
      }
    }
    const resizePolicy = (c as unknown as Rec).resizePolicy;
    if (!sidecar && Array.isArray(resizePolicy) && resizePolicy.length > 0) {
      errs.push(invalidRendered(child(p, 'resizePolicy'), renderResizePolicy(resizePolicy), 'must not be set for init containers'));
    }
  });
  return errs;
}

export function validateEphemeralContainers(
  list: (Container & { targetContainerName?: string })[] | undefined,
  containers: Container[] | undefined,
  initContainers: Container[] | undefined,
  ctx: ContainerContext,
  path: string,
): Errs {
  const errs: Errs = [];
  if (!Array.isArray(list) || list.length === 0) return errs;
  const others = new Set([...objects(containers), ...objects(initContainers)].map((c) => c.name));
  const all = new Set(others);
  list.forEach((raw, i) => {
    const c = isObject(raw) ? raw : ({} as Container & { targetContainerName?: string });
    const p = index(path, i);
    errs.push(...validateContainerCommon(c, ctx, p));
    errs.push(...imageWhitespace(c, p));
    if (all.has(c.name)) errs.push(field.duplicate(child(p, 'name'), c.name));
    else all.add(c.name);
    if (c.targetContainerName && !others.has(c.targetContainerName)) {
      errs.push(field.notFound(child(p, 'targetContainerName'), c.targetContainerName));
    }
    for (const f of ephemeralForbidden) {
      if (!isAbsent((c as unknown as Rec)[f])) {
        errs.push(field.forbidden(child(p, f), 'cannot be set for an Ephemeral Container'));
      }
    }
    eachObject(c.volumeMounts, (m, j) => {
      const mp = index(child(p, 'volumeMounts'), j);
      if (m.subPath) errs.push(field.forbidden(child(mp, 'subPath'), 'cannot be set for an Ephemeral Container'));
      if (m.subPathExpr) errs.push(field.forbidden(child(mp, 'subPathExpr'), 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

/** Checks that apply to pods but not to pod templates. */
export function imageWhitespace(c: Container, path: string): Errs {
  const image = str(c.image);
  return image.length !== image.trim().length
    ? [field.invalid(child(path, 'image'), image, 'must not have leading or trailing whitespace')]
    : [];
}

function validateContainerCommon(c: Container, ctx: ContainerContext, path: string): Errs {
  const errs: Errs = [];
  const name = str(c.name);
  if (!name) errs.push(field.required(child(path, 'name'), ''));
  else for (const msg of isDNS1123Label(name)) errs.push(field.invalid(child(path, 'name'), name, msg));
  if (!str(c.image)) errs.push(field.required(child(path, 'image'), ''));
  const tmp = c.terminationMessagePolicy;
  if (!tmp) errs.push(field.required(child(path, 'terminationMessagePolicy'), ''));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(field.notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validatePorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env as unknown as Rec[] | undefined, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom as unknown as Rec[] | undefined, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c, ctx.volumes, child(path, 'volumeMounts')));
  const pull = c.imagePullPolicy;
  if (!pull) errs.push(field.required(child(path, 'imagePullPolicy'), ''));
  else if (!pullPolicies.includes(pull)) errs.push(field.notSupported(child(path, 'imagePullPolicy'), pull, pullPolicies));
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  errs.push(...validateResizePolicy((c as unknown as Rec).resizePolicy, ctx.restartPolicy, child(path, 'resizePolicy')));
  errs.push(...validateSecurityContext(c.securityContext, child(path, 'securityContext')));
  return errs;
}

function validatePorts(ports: ContainerPort[] | undefined, path: string): Errs {
  const errs: Errs = [];
  const names = new Set<string>();
  eachObject(ports, (port, i) => {
    const p = index(path, i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) for (const msg of msgs) errs.push(field.invalid(child(p, 'name'), port.name, msg));
      else if (names.has(port.name)) errs.push(field.duplicate(child(p, 'name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(field.required(child(p, 'containerPort'), ''));
    else for (const msg of isValidPortNum(port.containerPort)) errs.push(field.invalid(child(p, 'containerPort'), port.containerPort, msg));
    if (port.hostPort) for (const msg of isValidPortNum(port.hostPort)) errs.push(field.invalid(child(p, 'hostPort'), port.hostPort, msg));
    if (!port.protocol) errs.push(field.required(child(p, 'protocol'), ''));
    else if (!protocols.includes(port.protocol)) errs.push(field.notSupported(child(p, 'protocol'), port.protocol, protocols));
  });
  return errs;
}

function hostPortConflicts(containers: Container[], path: string): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  eachObject(containers, (c, ci) => {
    eachObject(c.ports, (port, pi) => {
      if (!port.hostPort) return;
      const k = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (seen.has(k)) errs.push(field.duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

function validateEnv(env: Rec[] | undefined, path: string): Errs {
  const errs: Errs = [];
  eachObject(env, (ev, i) => {
    const p = index(path, i);
    const name = str(ev.name);
    if (!name) errs.push(field.required(child(p, 'name'), ''));
    else for (const msg of isEnvVarName(name)) errs.push(field.invalid(child(p, 'name'), name, msg));
    errs.push(...validateEnvValueFrom(ev, child(p, 'valueFrom')));
  });
  return errs;
}

function validateEnvValueFrom(ev: Rec, path: string): Errs {
  const from = ev.valueFrom;
  if (!isObject(from)) return [];
  const errs: Errs = [];
  let sources = 0;
  if (isObject(from.fieldRef)) {
    sources++;
    errs.push(...validateObjectFieldSelector(from.fieldRef, envFieldPaths, child(path, 'fieldRef')));
  }
  if (isObject(from.resourceFieldRef)) {
    sources++;
    errs.push(...validateResourceFieldSelector(from.resourceFieldRef, child(path, 'resourceFieldRef'), false));
  }
  for (const kind of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const ref = from[kind];
    if (!isObject(ref)) continue;
    sources++;
    const p = child(path, kind);
    const name = str(ref.name);
    for (const msg of nameIsDNSSubdomain(name, false)) errs.push(field.invalid(child(p, 'name'), name, msg));
    const k = str(ref.key);
    if (!k) errs.push(field.required(child(p, 'key'), ''));
    else errs.push(...validateConfigMapKey(k, child(p, 'key')));
  }
  if (sources === 0) {
    errs.push(field.invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  } else if (str(ev.value)) {
    errs.push(field.invalid(path, '', 'may not be specified when `value` is not empty'));
  } else if (sources > 1) {
    errs.push(field.invalid(path, '', 'may not have more than one field specified at a time'));
  }
  return errs;
}

function validateEnvFrom(list: Rec[] | undefined, path: string): Errs {
  const errs: Errs = [];
  eachObject(list, (ev, i) => {
    const p = index(path, i);
    const prefix = str(ev.prefix);
    if (prefix) for (const msg of isEnvVarName(prefix)) errs.push(field.invalid(child(p, 'prefix'), prefix, msg));
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = ev[kind];
      if (!isObject(ref)) continue;
      sources++;
      const name = str(ref.name);
      if (!name) errs.push(field.required(child(child(p, kind), 'name'), ''));
      else for (const msg of nameIsDNSSubdomain(name, true)) errs.push(field.invalid(child(child(p, kind), 'name'), name, msg));
    }
    if (sources === 0) errs.push(field.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(field.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(c: Container, volumes: Set<string>, path: string): Errs {
  const errs: Errs = [];
  const mountPoints = new Set<string>();
  eachObject(c.volumeMounts, (m, i) => {
    const p = index(path, i);
    const name = str(m.name);
    if (!name) errs.push(field.required(child(p, 'name'), ''));
    if (!volumes.has(name)) errs.push(field.notFound(child(p, 'name'), name));
    const mountPath = str(m.mountPath);
    if (!mountPath) errs.push(field.required(child(p, 'mountPath'), ''));
    if (mountPoints.has(mountPath)) errs.push(field.invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (m.subPath) errs.push(...localDescendingPath(m.subPath, child(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(field.invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...localDescendingPath(m.subPathExpr, child(path, 'subPathExpr')));
    }
    if (m.mountPropagation !== undefined && m.mountPropagation !== null) {
      const mp = child(path, 'mountPropagation');
      if (!mountPropagations.includes(m.mountPropagation)) errs.push(field.notSupported(mp, m.mountPropagation, mountPropagations));
      if (m.mountPropagation === 'Bidirectional' && c.securityContext?.privileged !== true) {
        errs.push(field.forbidden(mp, 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    if (m.recursiveReadOnly !== undefined && m.recursiveReadOnly !== null) {
      const rp = child(path, 'recursiveReadOnly');
      if (m.recursiveReadOnly === 'Enabled' || m.recursiveReadOnly === 'IfPossible') {
        if (!m.readOnly) errs.push(field.forbidden(rp, 'may only be specified when readOnly is true'));
        if (m.mountPropagation && m.mountPropagation !== 'None') {
          errs.push(field.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
        }
      } else if (m.recursiveReadOnly !== 'Disabled') {
        errs.push(field.notSupported(rp, m.recursiveReadOnly, recursiveReadOnlyModes));
      }
    }
  });
  return errs;
}

// ---- probes and lifecycle hooks ------------------------------------------------------------------

function validateProbes(c: Container, path: string): Errs {
  const errs: Errs = [];
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (!probe) continue;
    const p = child(path, kind);
    errs.push(...validateProbe(probe, p));
    if (kind === 'readinessProbe') {
      if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) {
        errs.push(field.invalid(child(p, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
      }
    } else if (num(probe.successThreshold) !== 1) {
      errs.push(field.invalid(child(p, 'successThreshold'), num(probe.successThreshold), 'must be 1'));
    }
  }
  return errs;
}

function validateProbe(probe: Probe, path: string): Errs {
  const errs = validateHandler(probe as Rec, ['exec', 'httpGet', 'tcpSocket', 'grpc'], undefined, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    if (num(probe[f]) < 0) errs.push(field.invalid(child(path, f), num(probe[f]), NON_NEGATIVE_MSG));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (typeof tgps === 'number' && tgps <= 0) errs.push(field.invalid(child(path, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  return errs;
}

function validateLifecycle(lifecycle: Rec | Container['lifecycle'], gracePeriod: number | undefined, path: string): Errs {
  const errs: Errs = [];
  const l = lifecycle as Rec;
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = l[hook];
    if (isObject(h)) errs.push(...validateHandler(h as LifecycleHandler as Rec, ['exec', 'httpGet', 'tcpSocket', 'sleep'], gracePeriod, child(path, hook)));
  }
  return errs;
}

function validateHandler(handler: Rec, kinds: string[], gracePeriod: number | undefined, path: string): Errs {
  const errs: Errs = [];
  let count = 0;
  for (const kind of kinds) {
    const h = handler[kind];
    if (h === undefined || h === null) continue;
    const p = child(path, kind);
    if (count > 0) {
      errs.push(field.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const action = isObject(h) ? h : {};
    switch (kind) {
      case 'exec':
        if (!Array.isArray(action.command) || action.command.length === 0) errs.push(field.required(child(p, 'command'), ''));
        break;
      case 'httpGet':
        if (!str(action.path)) errs.push(field.required(child(p, 'path'), ''));
        errs.push(...validatePortNumOrName(action.port, child(p, 'port')));
        if (!schemes.includes(str(action.scheme))) errs.push(field.notSupported(child(p, 'scheme'), action.scheme ?? '', schemes));
        for (const header of Array.isArray(action.httpHeaders) ? action.httpHeaders : []) {
          const name = str((header as Rec)?.name);
          for (const msg of isHTTPHeaderName(name)) errs.push(field.invalid(child(p, 'httpHeaders'), name, msg));
        }
        break;
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(action.port, child(p, 'port')));
        break;
      case 'grpc':
        errs.push(...validatePortNumOrName(num(action.port), child(p, 'port')));
        break;
      case 'sleep': {
        const seconds = num(action.seconds);
        if (gracePeriod !== undefined && (seconds < 0 || seconds > gracePeriod)) {
          errs.push(field.invalid(p, seconds, `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`));
        }
        break;
      }
    }
  }
  if (count === 0) errs.push(field.required(path, 'must specify a handler type'));
  return errs;
}

export function validatePortNumOrName(port: unknown, path: string): Errs {
  if (typeof port === 'number') return isValidPortNum(port).map((msg) => field.invalid(path, port, msg));
  if (typeof port === 'string') return isValidPortName(port).map((msg) => field.invalid(path, port, msg));
  return isValidPortNum(0).map((msg) => field.invalid(path, 0, msg));
}

// ---- security context ----------------------------------------------------------------------------

const ID_RANGE = inclusiveRangeError(0, 2147483647);

export function validateSecurityContext(sc: Rec | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!isObject(sc)) return errs;
  for (const f of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc[f];
    if (typeof v === 'number' && (v < 0 || v > 2147483647)) errs.push(field.invalid(child(path, f), v, ID_RANGE));
  }
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
    errs.push(field.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  const caps = sc.capabilities;
  if (isObject(caps) && Array.isArray(caps.add) && caps.add.includes('CAP_SYS_ADMIN') && sc.allowPrivilegeEscalation === false) {
    errs.push(field.invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  if (sc.procMount !== undefined && sc.procMount !== null && sc.procMount !== 'Default' && sc.procMount !== 'Unmasked') {
    errs.push(field.notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  }
  errs.push(...validateSeccompProfile(sc.seccompProfile, child(path, 'seccompProfile')));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, child(path, 'appArmorProfile')));
  return errs;
}

const profileTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

export function validateSeccompProfile(profile: unknown, path: string): Errs {
  if (profile === undefined || profile === null) return [];
  const p = isObject(profile) ? profile : {};
  const type = str(p.type);
  const local = p.localhostProfile;
  switch (type) {
    case 'Localhost':
      return typeof local === 'string' && local ? [] : [field.required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost')];
    case 'RuntimeDefault':
    case 'Unconfined':
      return local === undefined || local === null
        ? []
        : [field.invalid(child(path, 'localhostProfile'), local, 'can only be set when seccomp type is Localhost')];
    case '':
      return [field.required(child(path, 'type'), 'type is required when seccompProfile is set')];
    default:
      return [field.notSupported(child(path, 'type'), type, profileTypes)];
  }
}

export function validateAppArmorProfile(profile: unknown, path: string): Errs {
  if (profile === undefined || profile === null) return [];
  const p = isObject(profile) ? profile : {};
  const type = str(p.type);
  const local = p.localhostProfile;
  switch (type) {
    case 'Localhost': {
      if (typeof local !== 'string') return [field.required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost')];
      if (local.trim() !== local) return [field.invalid(child(path, 'localhostProfile'), local, 'must not be padded with whitespace')];
      if (!local) return [field.required(child(path, 'localhostProfile'), 'must be set when AppArmor type is Localhost')];
      return local.length > 4095 ? [field.tooLong(child(path, 'localhostProfile'), 4095)] : [];
    }
    case 'RuntimeDefault':
    case 'Unconfined':
      return local === undefined || local === null
        ? []
        : [field.invalid(child(path, 'localhostProfile'), local, 'can only be set when AppArmor type is Localhost')];
    case '':
      return [field.required(child(path, 'type'), 'type is required when appArmorProfile is set')];
    default:
      return [field.notSupported(child(path, 'type'), type, profileTypes)];
  }
}

// ---- in-place resize policy ------------------------------------------------------------------

const resizeResources = ['cpu', 'memory'];
const resizeRestartPolicies = ['NotRequired', 'RestartContainer'];

function renderResizePolicy(list: unknown[]): string {
  const items = list.map((p) => {
    const r = isObject(p) ? p : {};
    return `core.ContainerResizePolicy{ResourceName:${JSON.stringify(str(r.resourceName))}, RestartPolicy:${JSON.stringify(str(r.restartPolicy))}}`;
  });
  return `[]core.ContainerResizePolicy{${items.join(', ')}}`;
}

function validateResizePolicy(list: unknown, podRestartPolicy: string | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!Array.isArray(list)) return errs;
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const p = isObject(raw) ? raw : {};
    const name = str(p.resourceName);
    const policy = str(p.restartPolicy);
    if (seen.has(name)) errs.push(field.duplicate(index(path, i), name));
    seen.add(name);
    if (!name) errs.push(field.required(path, ''));
    else if (!resizeResources.includes(name)) errs.push(field.notSupported(path, name, resizeResources));
    if (!policy) errs.push(field.required(path, ''));
    else if (!resizeRestartPolicies.includes(policy)) errs.push(field.notSupported(path, policy, resizeRestartPolicies));
    if (podRestartPolicy === 'Never' && policy !== 'NotRequired') {
      errs.push(field.invalid(path, policy, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  return errs;
}
