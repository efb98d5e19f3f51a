// batch/v1: Job and CronJob (batch validation).

import { field } from '../errors.js';
import type { KubeObject } from '../types.js';
import { CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL } from '../defaults/workloads.js';
import { CronError, isKnownTimeZone, parseCronSchedule } from './cron.js';
import { child, goStringMap, immutable, invalidRendered, isObject, key, nonNegative, type Errs, rec, type Rec } from './field.js';
import {
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
import { isDNS1123Label } from './strings.js';

const MAX_PARALLELISM_INDEXED = 100000;
const CRONJOB_NAME_MAX = 52;

function templateLabels(spec: Rec): Record<string, string> | undefined {
  const meta = rec(spec.template).metadata;
  return isObject(meta) && isObject(meta.labels) ? (meta.labels as Record<string, string>) : undefined;
}

export function validateJob(job: KubeObject): Errs {
  const errs = validateObjectMeta(job.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const spec = rec(job.spec);
  errs.push(...generatedSelector(job, spec));
  errs.push(...jobSpecWithSelector(spec, 'spec'));
  const completions = spec.completions;
  if (spec.completionMode === 'Indexed' && typeof completions === 'number' && completions > 0) {
    const hostname = `${job.metadata.name ?? ''}-${completions - 1}`;
    if (isDNS1123Label(hostname).length > 0) {
      errs.push(field.invalid('metadata.name', job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

/** The labels and selector prepareJobForCreate generates must be present unless the selector is manual. */
function generatedSelector(job: KubeObject, spec: Rec): Errs {
  const errs: Errs = [];
  if (spec.manualSelector === true || !isObject(spec.selector)) return errs;
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(field.required('metadata.uid', ''));
  const labels = templateLabels(spec);
  const expected: Record<string, string> = {
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [LEGACY_JOB_NAME_LABEL]: name,
    [CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
  };
  for (const [k, v] of Object.entries(expected)) {
    const p = key('spec.template.metadata.labels', k);
    if (!labels || !Object.hasOwn(labels, k)) errs.push(field.required(p, `must be '${v}'`));
    else if (labels[k] !== v) errs.push(invalidRendered(p, goStringMap(labels), `must be '${v}'`));
  }
  const selector = spec.selector as LabelSelector;
  if (!selectorMatches(selector, expected)) {
    errs.push(invalidRendered('spec.selector', renderLabelSelector(selector), '`selector` not auto-generated'));
  }
  return errs;
}

function jobSpecWithSelector(spec: Rec, path: string): Errs {
  const errs = jobSpec(spec, path);
  const selector = isObject(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  if (!selector) errs.push(field.required(child(path, 'selector'), ''));
  else errs.push(...validateLabelSelector(selector, child(path, 'selector')));
  if (selector && !selectorMatches(selector, templateLabels(spec))) {
    errs.push(invalidRendered(`${path}.template.metadata.labels`, goStringMap(templateLabels(spec)), '`selector` does not match template `labels`'));
  }
  return errs;
}

function jobSpec(spec: Rec, path: string): Errs {
  const errs: Errs = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...nonNegative(spec[f], child(path, f)));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      errs.push(field.notSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    }
    if (mode === 'Indexed') {
      if (spec.completions === undefined || spec.completions === null) {
        errs.push(field.required(child(path, 'completions'), 'when completion mode is Indexed'));
      }
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(
          field.invalid(child(path, 'parallelism'), spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`),
        );
      }
    }
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null && mode !== 'Indexed') {
    errs.push(field.invalid(child(path, 'backoffLimitPerIndex'), spec.backoffLimitPerIndex, 'requires indexed completion mode'));
  }
  if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null)) {
    errs.push(field.required(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (isObject(spec.podFailurePolicy)) errs.push(...podFailurePolicy(spec, child(path, 'podFailurePolicy')));
  const prp = spec.podReplacementPolicy;
  if (prp !== undefined && prp !== null) {
    if (prp !== 'TerminatingOrFailed' && prp !== 'Failed') {
      errs.push(field.notSupported(child(path, 'podReplacementPolicy'), prp, ['TerminatingOrFailed', 'Failed']));
    } else if (isObject(spec.podFailurePolicy) && prp !== 'Failed') {
      errs.push(field.notSupported(child(path, 'podReplacementPolicy'), prp, ['Failed']));
    }
  }
  const tPath = child(path, 'template');
  const template = rec(spec.template) as PodTemplateSpec;
  errs.push(...validatePodTemplateSpec(template, tPath));
  const restartPolicy = template.spec?.restartPolicy ?? '';
  const rpPath = `${tPath}.spec.restartPolicy`;
  if (restartPolicy === 'Always' || restartPolicy === '') {
    errs.push(field.required(rpPath, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(field.notSupported(rpPath, restartPolicy, ['OnFailure', 'Never']));
  } else if (isObject(spec.podFailurePolicy) && restartPolicy !== 'Never') {
    errs.push(field.invalid(rpPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

const failurePolicyActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const conditionStatuses = ['False', 'True', 'Unknown'];
const exitCodeOperators = ['In', 'NotIn'];
const quotedList = (list: string[]) => `[]string{${list.map((v) => JSON.stringify(v)).join(', ')}}`;

function podFailurePolicy(spec: Rec, path: string): Errs {
  const errs: Errs = [];
  const rules = Array.isArray(rec(spec.podFailurePolicy).rules) ? (rec(spec.podFailurePolicy).rules as unknown[]) : [];
  const podSpec = rec(rec(spec.template).spec);
  const names = new Set(
    [...(Array.isArray(podSpec.containers) ? podSpec.containers : []), ...(Array.isArray(podSpec.initContainers) ? podSpec.initContainers : [])].map(
      (c) => rec(c).name,
    ),
  );
  if (rules.length > 20) errs.push(field.tooMany(child(path, 'rules'), rules.length, 20));
  rules.forEach((raw, i) => {
    const rule = rec(raw);
    const rp = `${path}.rules[${i}]`;
    const action = rule.action;
    if (!action) errs.push(field.required(`${rp}.action`, `valid values: ${quotedList(failurePolicyActions)}`));
    else if (action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push(field.invalid(`${rp}.action`, action, 'requires the backoffLimitPerIndex to be set'));
      }
    } else if (!failurePolicyActions.includes(action as string)) errs.push(field.notSupported(`${rp}.action`, action, failurePolicyActions));
    const onExitCodes = isObject(rule.onExitCodes) ? rule.onExitCodes : undefined;
    const onPodConditions = Array.isArray(rule.onPodConditions) ? rule.onPodConditions : [];
    if (onExitCodes) {
      const ep = `${rp}.onExitCodes`;
      const op = onExitCodes.operator;
      if (!op) errs.push(field.required(`${ep}.operator`, `valid values: ${quotedList(exitCodeOperators)}`));
      else if (!exitCodeOperators.includes(op as string)) errs.push(field.notSupported(`${ep}.operator`, op, exitCodeOperators));
      if (typeof onExitCodes.containerName === 'string' && !names.has(onExitCodes.containerName)) {
        errs.push(field.invalid(`${ep}.containerName`, onExitCodes.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      const values = Array.isArray(onExitCodes.values) ? onExitCodes.values : [];
      if (values.length === 0) errs.push(field.invalid(`${ep}.values`, values, 'at least one value is required'));
    }
    onPodConditions.forEach((pattern, j) => {
      const pp = `${rp}.onPodConditions[${j}]`;
      const status = rec(pattern).status;
      if (!status) errs.push(field.required(`${pp}.status`, `valid values: ${quotedList(conditionStatuses)}`));
      else if (!conditionStatuses.includes(status as string)) errs.push(field.notSupported(`${pp}.status`, status, conditionStatuses));
    });
    if (onExitCodes && onPodConditions.length > 0) {
      errs.push(invalidRendered(rp, '', 'specifying both OnExitCodes and OnPodConditions is not supported'));
    }
    if (!onExitCodes && onPodConditions.length === 0) {
      errs.push(invalidRendered(rp, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
    }
  });
  return errs;
}

export function validateJobUpdate(job: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const spec = rec(job.spec);
  const oldSpec = rec(old.spec);
  errs.push(...jobSpecWithSelector(spec, 'spec'));
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && oldSpec.completions === oldSpec.parallelism;
  if (!elastic) errs.push(...immutable(spec.completions ?? null, oldSpec.completions ?? null, 'spec.completions'));
  errs.push(...selectorImmutable(spec.selector, oldSpec.selector, 'spec.selector'));
  errs.push(...templateImmutable(spec, oldSpec));
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy']) {
    errs.push(...immutable(spec[f] ?? null, oldSpec[f] ?? null, `spec.${f}`));
  }
  return errs;
}

/** The template is fixed, except scheduling directives of a job that is suspended and never started. */
function templateImmutable(spec: Rec, oldSpec: Rec): Errs {
  const template = rec(spec.template);
  let oldTemplate = rec(oldSpec.template);
  if (spec.suspend === true && oldSpec.suspend === true) {
    const oldPodSpec = rec(oldTemplate.spec);
    const newPodSpec = rec(template.spec);
    oldTemplate = {
      ...oldTemplate,
      metadata: { ...rec(oldTemplate.metadata), labels: rec(template.metadata).labels, annotations: rec(template.metadata).annotations },
      spec: {
        ...oldPodSpec,
        nodeSelector: newPodSpec.nodeSelector,
        tolerations: newPodSpec.tolerations,
        affinity: newPodSpec.affinity,
        schedulingGates: newPodSpec.schedulingGates,
      },
    };
  }
  return immutable(template, oldTemplate, 'spec.template', 'core.PodTemplateSpec{...}');
}

export function validateJobStatusUpdate(job: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const s = rec(job.status);
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...nonNegative(s[f], `status.${f}`));
  return errs;
}

// ---- CronJob ---------------------------------------------------------------------------------

export function validateCronJob(cj: KubeObject): Errs {
  const errs = validateObjectMeta(cj.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const name = cj.metadata.name ?? '';
  if (name.length > CRONJOB_NAME_MAX) errs.push(field.invalid('metadata.name', name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  errs.push(...cronJobSpec(rec(cj.spec), 'spec'));
  return errs;
}

function cronJobSpec(spec: Rec, path: string): Errs {
  const errs: Errs = [];
  const schedule = typeof spec.schedule === 'string' ? spec.schedule : '';
  if (!schedule) errs.push(field.required(child(path, 'schedule'), ''));
  else {
    try {
      parseCronSchedule(schedule);
    } catch (e) {
      errs.push(field.invalid(child(path, 'schedule'), schedule, e instanceof CronError ? e.message : String(e)));
    }
    if (schedule.includes('TZ')) {
      errs.push(field.invalid(child(path, 'schedule'), schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...timeZone(spec.timeZone, child(path, 'timeZone')));
  errs.push(...nonNegative(spec.startingDeadlineSeconds, child(path, 'startingDeadlineSeconds')));
  const policy = spec.concurrencyPolicy;
  if (!policy) errs.push(field.required(child(path, 'concurrencyPolicy'), ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy as string)) {
    errs.push(field.notSupported(child(path, 'concurrencyPolicy'), policy, ['Allow', 'Forbid', 'Replace']));
  }
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, child(path, 'successfulJobsHistoryLimit')));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, child(path, 'failedJobsHistoryLimit')));
  const jt = rec(spec.jobTemplate);
  const jtPath = child(path, 'jobTemplate');
  const jobSpecRec = rec(jt.spec);
  errs.push(...jobSpec(jobSpecRec, child(jtPath, 'spec')));
  if (isObject(jobSpecRec.selector)) {
    errs.push(invalidRendered(`${jtPath}.spec.selector`, renderLabelSelector(jobSpecRec.selector as LabelSelector), '`selector` will be auto-generated'));
  }
  if (jobSpecRec.manualSelector === true) {
    errs.push(field.notSupported(`${jtPath}.spec.manualSelector`, true, ['nil', 'false']));
  }
  return errs;
}

function timeZone(tz: unknown, path: string): Errs {
  if (tz === undefined || tz === null) return [];
  const zone = String(tz);
  if (zone.length === 0) return [field.invalid(path, zone, 'timeZone must be nil or non-empty string')];
  for (const part of zone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z\._\-+0-9]+$/.test(part)) {
      return [field.invalid(path, zone, `unknown time zone ${zone}`)];
    }
  }
  if (zone.toLowerCase() === 'local') {
    return [field.invalid(path, zone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  }
  return isKnownTimeZone(zone) ? [] : [field.invalid(path, zone, `unknown time zone ${zone}`)];
}

export function validateCronJobUpdate(cj: KubeObject, old: KubeObject): Errs {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  errs.push(...cronJobSpec(rec(cj.spec), 'spec'));
  return errs;
}

export function validateCronJobStatusUpdate(cj: KubeObject, old: KubeObject): Errs {
  return validateObjectMetaUpdate(cj.metadata, old.metadata);
}
