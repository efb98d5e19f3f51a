// apps/v1: Deployment, ReplicaSet, DaemonSet, ControllerRevision (apps validation).

import { field } from '../errors.js';
import type { KubeObject } from '../types.js';
import { child, goQuote, goStringMap, immutable, invalidRendered, isObject, nonNegative, notSupportedRendered, type Errs, rec, type Rec } from './field.js';
import { intOrPercentValue, notMoreThan100Percent, renderIntOrString, validatePositiveIntOrPercent } from './intorpercent.js';
import {
  isEmptySelector,
  nameIsDNSSubdomain,
  renderLabelSelector,
  selectorImmutable,
  selectorMatches,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type LabelSelector,
} from './meta.js';
import { validatePodTemplateSpec, type PodTemplateSpec } from './podspec.js';

const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

function templateOf(spec: Rec): PodTemplateSpec {
  return rec(spec.template) as PodTemplateSpec;
}

function templateLabels(t: PodTemplateSpec): Record<string, string> | undefined {
  return isObject(t.metadata) ? t.metadata.labels : undefined;
}

/** Selector presence, shape and emptiness, as Deployments and ReplicaSets check it. */
function requiredSelector(spec: Rec, kindWord: string, path: string): Errs {
  const selector = spec.selector;
  if (!isObject(selector)) return [field.required(child(path, 'selector'), '')];
  const errs = validateLabelSelector(selector as LabelSelector, child(path, 'selector'));
  if (isEmptySelector(selector as LabelSelector)) {
    errs.push(invalidRendered(child(path, 'selector'), renderLabelSelector(selector as LabelSelector), `empty selector is invalid for ${kindWord}`));
  }
  return errs;
}

/** ValidatePodTemplateSpecForReplicaSet: labels match the selector; pods restart Always. */
function replicaSetTemplate(spec: Rec, path: string, ownerKind: string): Errs {
  const errs: Errs = [];
  const tPath = child(path, 'template');
  if (!isObject(spec.template)) return [field.required(tPath, '')];
  const t = templateOf(spec);
  const selector = isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  // A missing selector matches nothing; an empty one matches everything.
  if (!selector || (!isEmptySelector(selector) && !selectorMatches(selector, templateLabels(t)))) {
    errs.push(invalidRendered(`${tPath}.metadata.labels`, goStringMap(templateLabels(t)), SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplateSpec(t, tPath));
  const restartPolicy = t.spec?.restartPolicy;
  if (restartPolicy !== 'Always') errs.push(field.notSupported(`${tPath}.spec.restartPolicy`, restartPolicy ?? '', ['Always']));
  if (t.spec?.activeDeadlineSeconds !== undefined && t.spec.activeDeadlineSeconds !== null) {
    errs.push(field.forbidden(`${tPath}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${ownerKind} is not Supported`));
  }
  return errs;
}

/** Go's `%#v` of a strategy struct; a set rollingUpdate pointer prints as an address there. */
function renderStrategy(type: string, rollingType: string, strategy: Rec): string {
  const rolling = isObject(strategy.rollingUpdate) ? `(*${rollingType})(0xc000000000)` : `(*${rollingType})(nil)`;
  return `${type}{Type:${goQuote(strategy.type)}, RollingUpdate:${rolling}}`;
}

// ---- Deployment ------------------------------------------------------------------------------

export function validateDeployment(d: KubeObject): Errs {
  return validateObjectMeta(d.metadata, { namespaced: true, name: nameIsDNSSubdomain }).concat(deploymentSpec(rec(d.spec), 'spec'));
}

function deploymentSpec(spec: Rec, path: string): Errs {
  const errs = nonNegative(spec.replicas, child(path, 'replicas'));
  errs.push(...requiredSelector(spec, 'deployment', path));
  errs.push(...replicaSetTemplate(spec, path, 'ReplicaSet'));
  errs.push(...deploymentStrategy(rec(spec.strategy), child(path, 'strategy')));
  errs.push(...nonNegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, child(path, 'revisionHistoryLimit')));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...nonNegative(pds, child(path, 'progressDeadlineSeconds')));
    const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
    if (pds <= minReady) errs.push(field.invalid(child(path, 'progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function deploymentStrategy(strategy: Rec, path: string): Errs {
  const errs: Errs = [];
  switch (strategy.type) {
    case 'Recreate':
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        errs.push(field.forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
      }
      break;
    case 'RollingUpdate': {
      if (!isObject(strategy.rollingUpdate)) {
        errs.push(field.required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil'));
        break;
      }
      const ru = strategy.rollingUpdate;
      const ruPath = child(path, 'rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(ruPath, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(ruPath, 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidRendered(child(ruPath, 'maxUnavailable'), renderIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, child(ruPath, 'maxUnavailable')));
      break;
    }
    default:
      errs.push(notSupportedRendered(path, renderStrategy('apps.DeploymentStrategy', 'apps.RollingUpdateDeployment', strategy), ['Recreate', 'RollingUpdate']));
  }
  return errs;
}

export function validateDeploymentUpdate(d: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  errs.push(...deploymentSpec(rec(d.spec), 'spec'));
  errs.push(...selectorImmutable(rec(d.spec).selector, rec(old.spec).selector, 'spec.selector'));
  return errs;
}

const deploymentStatusCounts = ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'];

export function validateDeploymentStatusUpdate(d: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  const s = rec(d.status);
  errs.push(...nonNegative(s.observedGeneration, 'status.observedGeneration'));
  for (const f of deploymentStatusCounts) errs.push(...nonNegative(s[f], `status.${f}`));
  errs.push(...nonNegative(s.collisionCount, 'status.collisionCount'));
  errs.push(...replicaRelations(s, ['updatedReplicas', 'readyReplicas', 'availableReplicas']));
  const oldCount = rec(old.status).collisionCount;
  if (typeof oldCount === 'number') {
    const next = typeof s.collisionCount === 'number' ? s.collisionCount : undefined;
    if (next === undefined || next < oldCount) {
      errs.push(field.invalid('status.collisionCount', next ?? null, 'cannot be decremented'));
    }
  }
  return errs;
}

/** The "cannot be greater than" rules shared by workload statuses. */
function replicaRelations(s: Rec, boundedByReplicas: string[]): Errs {
  const errs: Errs = [];
  const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
  for (const f of boundedByReplicas) {
    if (n(f) > n('replicas')) errs.push(field.invalid(`status.${f}`, n(f), 'cannot be greater than status.replicas'));
  }
  if (n('availableReplicas') > n('readyReplicas')) {
    errs.push(field.invalid('status.availableReplicas', n('availableReplicas'), 'cannot be greater than readyReplicas'));
  }
  return errs;
}

// ---- ReplicaSet ------------------------------------------------------------------------------

export function validateReplicaSet(rs: KubeObject): Errs {
  return validateObjectMeta(rs.metadata, { namespaced: true, name: nameIsDNSSubdomain }).concat(replicaSetSpec(rec(rs.spec), 'spec'));
}

function replicaSetSpec(spec: Rec, path: string): Errs {
  const errs = nonNegative(spec.replicas, child(path, 'replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...requiredSelector(spec, 'deployment', path));
  errs.push(...replicaSetTemplate(spec, path, 'ReplicaSet'));
  return errs;
}

export function validateReplicaSetUpdate(rs: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata);
  errs.push(...replicaSetSpec(rec(rs.spec), 'spec'));
  errs.push(...selectorImmutable(rec(rs.spec).selector, rec(old.spec).selector, 'spec.selector'));
  return errs;
}

export function validateReplicaSetStatusUpdate(rs: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(rs.metadata, old.metadata);
  const s = rec(rs.status);
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...nonNegative(s[f], `status.${f}`));
  }
  errs.push(...replicaRelations(s, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']));
  return errs;
}

// ---- DaemonSet -------------------------------------------------------------------------------

export function validateDaemonSet(ds: KubeObject): Errs {
  return validateObjectMeta(ds.metadata, { namespaced: true, name: nameIsDNSSubdomain }).concat(daemonSetSpec(rec(ds.spec), 'spec'));
}

function daemonSetSpec(spec: Rec, path: string): Errs {
  const selector = isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  const errs = validateLabelSelector(selector, child(path, 'selector'));
  const t = templateOf(spec);
  const tPath = child(path, 'template');
  if (!selectorMatches(selector, templateLabels(t))) {
    errs.push(invalidRendered(`${tPath}.metadata.labels`, goStringMap(templateLabels(t)), SELECTOR_MISMATCH));
  }
  if (selector && isEmptySelector(selector)) {
    errs.push(invalidRendered(child(path, 'selector'), renderLabelSelector(selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(t, tPath));
  const restartPolicy = t.spec?.restartPolicy;
  if (restartPolicy !== 'Always') errs.push(field.notSupported(`${tPath}.spec.restartPolicy`, restartPolicy ?? '', ['Always']));
  const ads = t.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    errs.push(field.invalid(`${tPath}.spec.activeDeadlineSeconds`, ads, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...nonNegative(spec.templateGeneration, child(path, 'templateGeneration')));
  errs.push(...daemonSetStrategy(rec(spec.updateStrategy), child(path, 'updateStrategy')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, child(path, 'revisionHistoryLimit')));
  return errs;
}

function daemonSetStrategy(strategy: Rec, path: string): Errs {
  switch (strategy.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isObject(strategy.rollingUpdate)) return [field.required(child(path, 'rollingUpdate'), '')];
      const ru = strategy.rollingUpdate;
      const p = child(path, 'rollingUpdate');
      const errs = validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable'));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      errs.push(...notMoreThan100Percent(ru.maxSurge, child(p, 'maxSurge')));
      const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const surge = intOrPercentValue(ru.maxSurge) !== 0;
      if (unavailable && surge) {
        errs.push(invalidRendered(child(p, 'maxSurge'), renderIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      } else if (!unavailable && !surge) {
        errs.push(field.required(child(p, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
      return errs;
    }
    default:
      return [notSupportedRendered(path, renderStrategy('apps.DaemonSetUpdateStrategy', 'apps.RollingUpdateDaemonSet', strategy), ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSetUpdate(ds: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  errs.push(...daemonSetSpec(rec(ds.spec), 'spec'));
  errs.push(...selectorImmutable(rec(ds.spec).selector, rec(old.spec).selector, 'spec.selector'));
  return errs;
}

export function validateDaemonSetStatusUpdate(ds: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  const s = rec(ds.status);
  for (const f of [
    'numberAvailable',
    'numberUnavailable',
    'currentNumberScheduled',
    'numberMisscheduled',
    'desiredNumberScheduled',
    'numberReady',
    'observedGeneration',
    'updatedNumberScheduled',
    'collisionCount',
  ]) {
    errs.push(...nonNegative(s[f], `status.${f}`));
  }
  return errs;
}

// ---- ControllerRevision ----------------------------------------------------------------------

export function validateControllerRevision(cr: KubeObject): Errs {
  const errs = validateObjectMeta(cr.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  if (cr.data === undefined || cr.data === null) errs.push(field.required('data', ''));
  errs.push(...nonNegative(cr.revision, 'revision'));
  return errs;
}

export function validateControllerRevisionUpdate(cr: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(cr.metadata, old.metadata);
  errs.push(...immutable(cr.data ?? null, old.data ?? null, 'data'));
  errs.push(...nonNegative(cr.revision, 'revision'));
  return errs;
}

// ---- Scale (the /scale subresource of Deployments and ReplicaSets) ---------------------------

export function validateScale(scale: KubeObject): Errs {
  const errs = validateObjectMeta(scale.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  errs.push(...nonNegative(rec(scale.spec).replicas, 'spec.replicas'));
  return errs;
}
