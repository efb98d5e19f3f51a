// apps/v1 and batch/v1 defaulting (SetDefaults_Deployment, _ReplicaSet, _DaemonSet, _Job, _CronJob),
// plus the selector and labels the Job strategy generates on create.

import type { KubeObject } from '../types.js';
import { defaultPodTemplate } from './pod.js';

type Rec = Record<string, unknown>;
const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const specOf = (obj: KubeObject): Rec => (isObject(obj.spec) ? obj.spec : (obj.spec = {}) as Rec);
const unset = (v: unknown) => v === undefined || v === null;
const MAX_INT32 = 2147483647;

export function defaultDeployment(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.replicas)) spec.replicas = 1;
  const strategy = (spec.strategy = isObject(spec.strategy) ? spec.strategy : {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {});
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = '25%';
    if (unset(ru.maxSurge)) ru.maxSurge = '25%';
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (unset(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  defaultPodTemplate(spec.template);
}

export function defaultReplicaSet(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.replicas)) spec.replicas = 1;
  defaultPodTemplate(spec.template);
}

export function defaultDaemonSet(obj: KubeObject): void {
  const spec = specOf(obj);
  const strategy = (spec.updateStrategy = isObject(spec.updateStrategy) ? spec.updateStrategy : {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate = isObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {});
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = 1;
    if (unset(ru.maxSurge)) ru.maxSurge = 0;
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  defaultPodTemplate(spec.template);
}

export function defaultJob(obj: KubeObject): void {
  defaultJobSpec(specOf(obj));
  const spec = obj.spec as Rec;
  const templateLabels = isObject(spec.template) && isObject(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  if (isObject(templateLabels) && Object.keys(obj.metadata.labels ?? {}).length === 0) {
    obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
  }
}

function defaultJobSpec(spec: Rec): void {
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : MAX_INT32;
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (unset(spec.suspend)) spec.suspend = false;
  const pfp = spec.podFailurePolicy;
  if (isObject(pfp) && Array.isArray(pfp.rules)) {
    for (const rule of pfp.rules) {
      if (!isObject(rule) || !Array.isArray(rule.onPodConditions)) continue;
      for (const pattern of rule.onPodConditions) if (isObject(pattern) && !pattern.status) pattern.status = 'True';
    }
  }
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = isObject(pfp) ? 'Failed' : 'TerminatingOrFailed';
  defaultPodTemplate(spec.template);
}

export function defaultCronJob(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (unset(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  const jobTemplate = spec.jobTemplate;
  if (isObject(jobTemplate)) {
    const meta = isObject(jobTemplate.metadata) ? jobTemplate.metadata : (jobTemplate.metadata = {});
    if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
    if (isObject(jobTemplate.spec)) defaultJobSpec(jobTemplate.spec);
  }
}

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

/**
 * The Job strategy's create step: unless `manualSelector` is true, labels the pod template with the
 * job name and uid and selects on the uid. `uid` must be the uid the object will be stored with.
 * Also resets status and sets generation 1. A job without labels of its own takes the template's.
 */
export function prepareJobForCreate(job: KubeObject, uid: string): void {
  if (!isObject(job.metadata)) return;
  job.metadata.uid = uid;
  job.metadata.generation = 1;
  job.status = {};
  const spec = specOf(job);
  if (spec.manualSelector === true) return;
  const template = (spec.template = isObject(spec.template) ? spec.template : {});
  const meta = (template.metadata = isObject(template.metadata) ? template.metadata : {});
  const labels = (meta.labels = isObject(meta.labels) ? (meta.labels as Record<string, string>) : {});
  const name = job.metadata.name ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = uid;
  const selector = (spec.selector = isObject(spec.selector) ? spec.selector : {});
  const matchLabels = (selector.matchLabels = isObject(selector.matchLabels) ? (selector.matchLabels as Record<string, string>) : {});
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
  if (Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
}
