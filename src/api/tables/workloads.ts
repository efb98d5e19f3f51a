// Rows of the workload kinds: apps (Deployment, ReplicaSet, DaemonSet, ControllerRevision),
// batch (Job, CronJob) and policy (PodDisruptionBudget).

import { humanDuration } from '../duration.js';
import type { KubeObject, OwnerReference } from '../types.js';
import { ageColumn, column, nameColumn, templateColumns } from './columns.js';
import {
  NONE,
  boolPointer,
  containerCells,
  formatLabelSelector,
  formatLabels,
  intOrString,
  intOrZero,
  selectorString,
  since,
  sizeOf,
  text,
  timestamp,
} from './format.js';
import type { Printer } from './types.js';

interface PodTemplate {
  spec?: { containers?: unknown; nodeSelector?: Record<string, string> };
}

interface Workload extends KubeObject {
  spec?: Record<string, unknown> & { template?: PodTemplate; selector?: unknown };
  status?: Record<string, unknown>;
}

function spec(object: KubeObject): NonNullable<Workload['spec']> {
  return (object as Workload).spec ?? {};
}

function status(object: KubeObject): Record<string, unknown> {
  return (object as Workload).status ?? {};
}

/** spec.replicas as stored after defaulting: absent means the default of 1. */
function desiredReplicas(object: KubeObject): number {
  const replicas = spec(object).replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', { description: 'Number of the pod with ready state' }),
    column('Up-to-date'),
    column('Available'),
    ageColumn,
    ...templateColumns(),
  ],
  cells(d, now) {
    const st = status(d);
    const [containers, images] = containerCells(spec(d).template?.spec?.containers);
    return [
      text(d.metadata.name),
      `${intOrZero(st.readyReplicas)}/${desiredReplicas(d)}`,
      intOrZero(st.updatedReplicas),
      intOrZero(st.availableReplicas),
      since(d.metadata.creationTimestamp, now),
      containers,
      images,
      selectorString(spec(d).selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', { type: 'integer' }),
    column('Current', { type: 'integer' }),
    column('Ready', { type: 'integer' }),
    ageColumn,
    ...templateColumns(),
  ],
  cells(rs, now) {
    const st = status(rs);
    const [containers, images] = containerCells(spec(rs).template?.spec?.containers);
    return [
      text(rs.metadata.name),
      desiredReplicas(rs),
      intOrZero(st.replicas),
      intOrZero(st.readyReplicas),
      since(rs.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(spec(rs).selector),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Desired', { type: 'integer' }),
    column('Current', { type: 'integer' }),
    column('Ready', { type: 'integer' }),
    column('Up-to-date', { type: 'integer' }),
    column('Available', { type: 'integer' }),
    column('Node Selector'),
    ageColumn,
    ...templateColumns(),
  ],
  cells(ds, now) {
    const st = status(ds);
    const template = spec(ds).template;
    const [containers, images] = containerCells(template?.spec?.containers);
    return [
      text(ds.metadata.name),
      intOrZero(st.desiredNumberScheduled),
      intOrZero(st.currentNumberScheduled),
      intOrZero(st.numberReady),
      intOrZero(st.updatedNumberScheduled),
      intOrZero(st.numberAvailable),
      formatLabels(template?.spec?.nodeSelector),
      since(ds.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(spec(ds).selector),
    ];
  },
};

interface Condition {
  type?: string;
  status?: string;
}

/** True when the first condition of that type is True. */
function hasCondition(object: KubeObject, type: string): boolean {
  const conditions = status(object).conditions;
  if (!Array.isArray(conditions)) return false;
  return (conditions as Condition[]).find((c) => c.type === type)?.status === 'True';
}

function jobStatus(job: KubeObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: KubeObject): string {
  const succeeded = intOrZero(status(job).succeeded);
  const { completions, parallelism } = spec(job);
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  return typeof parallelism === 'number' && parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KubeObject, now: number): string {
  const start = timestamp(status(job).startTime);
  if (start === undefined) return '';
  const end = timestamp(status(job).completionTime) ?? now;
  return humanDuration(end - start);
}

export const jobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', { description: 'Status of the job.' }),
    column('Completions'),
    column('Duration', { description: 'Time required to complete the job.' }),
    ageColumn,
    ...templateColumns(),
  ],
  cells(job, now) {
    const [containers, images] = containerCells(spec(job).template?.spec?.containers);
    return [
      text(job.metadata.name),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      since(job.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(spec(job).selector),
    ];
  },
};

interface JobTemplate {
  spec?: { selector?: unknown; template?: PodTemplate };
}

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn,
    column('Schedule'),
    column('Timezone'),
    column('Suspend', { type: 'boolean' }),
    column('Active', { type: 'integer' }),
    column('Last Schedule'),
    ageColumn,
    ...templateColumns(),
  ],
  cells(cj, now) {
    const s = spec(cj);
    const st = status(cj);
    const jobSpec = (s.jobTemplate as JobTemplate | undefined)?.spec;
    const [containers, images] = containerCells(jobSpec?.template?.spec?.containers);
    const lastSchedule = st.lastScheduleTime == null ? NONE : since(st.lastScheduleTime, now);
    return [
      text(cj.metadata.name),
      text(s.schedule),
      typeof s.timeZone === 'string' ? s.timeZone : NONE,
      boolPointer(s.suspend),
      sizeOf(st.active),
      lastSchedule,
      since(cj.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};

/** `daemonset.apps/web`, or `<none>` without a controller reference. */
function controllerName(object: KubeObject): string {
  const owner = object.metadata.ownerReferences?.find((o: OwnerReference) => o.controller === true);
  if (!owner) return NONE;
  const slash = owner.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : owner.apiVersion.slice(0, slash);
  if (!owner.kind && !group) return owner.name;
  return `${(group ? `${owner.kind}.${group}` : owner.kind).toLowerCase()}/${owner.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn,
    column('Controller', { description: 'Controller of the object' }),
    column('Revision'),
    ageColumn,
  ],
  cells(cr, now) {
    return [text(cr.metadata.name), controllerName(cr), intOrZero(cr.revision), since(cr.metadata.creationTimestamp, now)];
  },
};

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn,
    column('Min Available', { description: 'The minimum number of pods that must be available.' }),
    column('Max Unavailable', { description: 'The maximum number of pods that may be unavailable.' }),
    column('Allowed Disruptions', {
      type: 'integer',
      description: 'Calculated number of pods that may be disrupted at this time.',
    }),
    ageColumn,
  ],
  cells(pdb, now) {
    const s = spec(pdb);
    const bound = (v: unknown) => (v === undefined || v === null ? 'N/A' : intOrString(v));
    return [
      text(pdb.metadata.name),
      bound(s.minAvailable),
      bound(s.maxUnavailable),
      intOrZero(status(pdb).disruptionsAllowed),
      since(pdb.metadata.creationTimestamp, now),
    ];
  },
};
