// spec.podFailurePolicy: the first rule matching a failed pod decides what its failure means
// (pkg/controller/job/pod_failure_policy.go): FailJob ends the Job, FailIndex its index, Ignore
// does not count it toward the back-off limit, Count counts it as usual.

import type { ContainerStatus, Pod } from '../../api/types.js';
import type { JobSpec, PodFailurePolicyRule } from './types.js';

export interface PolicyMatch {
  action: PodFailurePolicyRule['action'] | undefined;
  /** Counts toward status.failed and the back-off limit. */
  countFailed: boolean;
  /** For FailJob: the message of the Job's failure condition. */
  message?: string;
}

export function matchPodFailurePolicy(policy: JobSpec['podFailurePolicy'], pod: Pod): PolicyMatch {
  const rules = policy?.rules ?? [];
  for (const [index, rule] of rules.entries()) {
    if (rule.onExitCodes) {
      const status = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!status) continue;
      const message = `Container ${status.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${status.state!.terminated!.exitCode} matching ${rule.action} rule at index ${index}`;
      return decide(rule.action, message);
    }
    if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (!cond) continue;
      return decide(rule.action, `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${cond.type} matching ${rule.action} rule at index ${index}`);
    }
  }
  return { action: undefined, countFailed: true };
}

function decide(action: PodFailurePolicyRule['action'], message: string): PolicyMatch {
  switch (action) {
    case 'Ignore':
      return { action, countFailed: false };
    case 'FailJob':
      return { action, countFailed: true, message };
    default:
      return { action, countFailed: true };
  }
}

function matchingContainer(statuses: ContainerStatus[] | undefined, req: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  for (const s of statuses ?? []) {
    const t = s.state?.terminated;
    if (!t || t.exitCode === 0) continue;
    if (req.containerName !== undefined && req.containerName !== s.name) continue;
    const listed = req.values.includes(t.exitCode);
    if (req.operator === 'In' ? listed : !listed) return s;
  }
  return undefined;
}
