// batch/v1: Job and CronJob.
import { LabelSelector, ObjectMeta, Time, topLevel } from './meta.js';
import { ObjectReference } from './core-refs.js';
import { PodTemplateSpec } from './core-pod.js';
import { boolean, enumOf, int32, int64, list, mergedBy, ref, req, set, string, struct } from './dsl.js';

const BATCH = 'io.k8s.api.batch.v1';

export const PodFailurePolicyOnExitCodesRequirement = struct(
  `${BATCH}.PodFailurePolicyOnExitCodesRequirement`,
  'Matches failed pods by container exit codes.',
  {
    containerName: string('Only look at this container; all containers when unset.'),
    operator: req(enumOf(['In', 'NotIn'], 'Whether an exit code must be In or NotIn the values.')),
    values: req(list('int32', 'Exit codes, without duplicates; 0 is not allowed with In.', set)),
  },
);

export const PodFailurePolicyOnPodConditionsPattern = struct(
  `${BATCH}.PodFailurePolicyOnPodConditionsPattern`,
  'Matches failed pods by a condition.',
  {
    status: req(string('Condition status to match; defaults to True.')),
    type: req(string('Condition type to match.')),
  },
);

export const PodFailurePolicyRule = struct(
  `${BATCH}.PodFailurePolicyRule`,
  'What to do with pods that fail in a given way.',
  {
    action: req(
      enumOf(['Count', 'FailIndex', 'FailJob', 'Ignore'], 'FailJob, FailIndex, Ignore (not counted) or Count (default counting).'),
    ),
    onExitCodes: ref(PodFailurePolicyOnExitCodesRequirement, 'Match by exit codes.'),
    onPodConditions: list(PodFailurePolicyOnPodConditionsPattern, 'Match by pod conditions; any one suffices.'),
  },
);

export const PodFailurePolicy = struct(`${BATCH}.PodFailurePolicy`, 'How pod failures count against the job.', {
  rules: req(list(PodFailurePolicyRule, 'Rules, checked in order; the first match wins.')),
});

export const SuccessPolicyRule = struct(`${BATCH}.SuccessPolicyRule`, 'When an indexed job counts as succeeded.', {
  succeededCount: int32('Least number of succeeded indexes.'),
  succeededIndexes: string('Indexes that must succeed, as ranges such as 1,3-5.'),
});

export const SuccessPolicy = struct(`${BATCH}.SuccessPolicy`, 'When a job may be declared succeeded early.', {
  rules: req(list(SuccessPolicyRule, 'Rules; the first that holds ends the job.')),
});

export const JobSpec = struct(`${BATCH}.JobSpec`, 'The desired behaviour of a job.', {
  activeDeadlineSeconds: int64('Seconds the job may be active before the system fails it.'),
  backoffLimit: int32('Retries before the job is marked failed; defaults to 6.'),
  backoffLimitPerIndex: int32('Retries of each index of an indexed job.'),
  completionMode: enumOf(['Indexed', 'NonIndexed'], 'NonIndexed (default) or Indexed.'),
  completions: int32('Successful pods needed; unset means any one success.'),
  managedBy: string('Controller that manages the job; empty for the built-in one. Immutable.'),
  manualSelector: boolean('Leave the selector to the user instead of generating it.'),
  maxFailedIndexes: int32('Failed indexes after which the whole job fails.'),
  parallelism: int32('Most pods running at once; defaults to 1.'),
  podFailurePolicy: ref(PodFailurePolicy, 'How pod failures are counted.'),
  podReplacementPolicy: enumOf(
    ['Failed', 'TerminatingOrFailed'],
    'When a replacement pod is created: once the old one is TerminatingOrFailed (default) or only Failed.',
  ),
  selector: ref(LabelSelector, 'Label query over the pods of the job; usually generated.'),
  successPolicy: ref(SuccessPolicy, 'When the job may be declared succeeded.'),
  suspend: boolean('Whether the controller should stop creating pods; defaults to false.'),
  template: req(ref(PodTemplateSpec, 'Template of the pods; restartPolicy Never or OnFailure.')),
  ttlSecondsAfterFinished: int32('Seconds after the job finished before it is deleted.'),
});

export const JobCondition = struct(`${BATCH}.JobCondition`, 'One condition of a job.', {
  lastProbeTime: ref(Time, 'When the condition was last checked.'),
  lastTransitionTime: ref(Time, 'When the status last changed.'),
  message: string('Human-readable details.'),
  reason: string('CamelCase reason for the last transition.'),
  status: req(string('True, False or Unknown.')),
  type: req(string('Type: Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet.')),
});

export const UncountedTerminatedPods = struct(
  `${BATCH}.UncountedTerminatedPods`,
  'UIDs of finished pods not yet counted in the status.',
  {
    failed: list('string', 'UIDs of failed pods.', set),
    succeeded: list('string', 'UIDs of succeeded pods.', set),
  },
);

export const JobStatus = struct(`${BATCH}.JobStatus`, 'The observed state of a job.', {
  active: int32('Pods pending or running and not terminating.'),
  completedIndexes: string('Completed indexes of an indexed job, as ranges such as 1,3-5.'),
  completionTime: ref(Time, 'When the job completed.'),
  conditions: list(JobCondition, 'Current conditions of the job.', mergedBy('type')),
  failed: int32('Pods that failed.'),
  failedIndexes: string('Failed indexes, with backoffLimitPerIndex.'),
  ready: int32('Active pods with a Ready condition.'),
  startTime: ref(Time, 'When the controller started the job.'),
  succeeded: int32('Pods that succeeded.'),
  terminating: int32('Pods being terminated.'),
  uncountedTerminatedPods: ref(UncountedTerminatedPods, 'Finished pods not yet counted.'),
});

export const Job = topLevel('batch', 'v1', 'Job', 'Runs pods until a number of them succeed.', {
  spec: ref(JobSpec, 'Desired behaviour of the job.'),
  status: ref(JobStatus, 'Observed state of the job. Read-only.'),
});

export const JobTemplateSpec = struct(`${BATCH}.JobTemplateSpec`, 'A template from which jobs are created.', {
  metadata: ref(ObjectMeta, 'Metadata of the created jobs.'),
  spec: ref(JobSpec, 'Spec of the created jobs.'),
});

export const CronJobSpec = struct(`${BATCH}.CronJobSpec`, 'The schedule and template of a cron job.', {
  concurrencyPolicy: enumOf(['Allow', 'Forbid', 'Replace'], 'How overlapping runs are handled: Allow (default), Forbid or Replace.'),
  failedJobsHistoryLimit: int32('Failed jobs kept; defaults to 1.'),
  jobTemplate: req(ref(JobTemplateSpec, 'Template of the jobs.')),
  schedule: req(string('Schedule in cron format.')),
  startingDeadlineSeconds: int64('Seconds after a missed start time within which the job may still start.'),
  successfulJobsHistoryLimit: int32('Successful jobs kept; defaults to 3.'),
  suspend: boolean('Whether future runs are suspended; defaults to false.'),
  timeZone: string('Time zone of the schedule, such as Etc/UTC; the controller zone when unset.'),
});

export const CronJobStatus = struct(`${BATCH}.CronJobStatus`, 'The observed state of a cron job.', {
  active: list(ObjectReference, 'Jobs that are running.'),
  lastScheduleTime: ref(Time, 'When a job was last scheduled.'),
  lastSuccessfulTime: ref(Time, 'When a job last completed successfully.'),
});

export const CronJob = topLevel('batch', 'v1', 'CronJob', 'Runs a job on a schedule.', {
  spec: ref(CronJobSpec, 'Schedule and job template.'),
  status: ref(CronJobStatus, 'Observed state of the cron job. Read-only.'),
});
