// apps/v1: Deployment, ReplicaSet, DaemonSet, ControllerRevision.
import { IntOrString, LabelSelector, RawExtension, Time, topLevel } from './meta.js';
import { PodTemplateSpec } from './core-pod.js';
import { boolean, enumOf, int32, int64, keyed, list, ref, req, string, struct, type Field, type TypeDef } from './dsl.js';

const APPS = 'io.k8s.api.apps.v1';

function condition(kind: string, types: string, extra: Record<string, Field> = {}): TypeDef {
  return struct(`${APPS}.${kind}Condition`, `One condition of a ${kind}.`, {
    lastTransitionTime: ref(Time, 'When the status last changed.'),
    ...extra,
    message: string('Human-readable details.'),
    reason: string('CamelCase reason for the last transition.'),
    status: req(string('True, False or Unknown.')),
    type: req(string(`Type of the condition${types}.`)),
  });
}

const selector = (what: string) =>
  req(ref(LabelSelector, `Label query over the pods ${what}; must match the template labels. Immutable.`));
const minReadySeconds = int32('Seconds a new pod must be ready, with no container crashing, to count as available.');

// ---- Deployment ------------------------------------------------------------------------------------

export const RollingUpdateDeployment = struct(
  `${APPS}.RollingUpdateDeployment`,
  'Limits of a rolling update.',
  {
    maxSurge: ref(IntOrString, 'Pods allowed above the desired count during the update, a number or percentage; defaults to 25%.'),
    maxUnavailable: ref(IntOrString, 'Pods allowed to be unavailable during the update, a number or percentage; defaults to 25%.'),
  },
);

export const DeploymentStrategy = struct(`${APPS}.DeploymentStrategy`, 'How old pods are replaced by new ones.', {
  rollingUpdate: ref(RollingUpdateDeployment, 'Limits of a RollingUpdate.'),
  type: enumOf(['Recreate', 'RollingUpdate'], 'Recreate or RollingUpdate (default).'),
});

export const DeploymentSpec = struct(`${APPS}.DeploymentSpec`, 'The desired state of a deployment.', {
  minReadySeconds,
  paused: boolean('Whether rollouts are paused.'),
  progressDeadlineSeconds: int32('Seconds a rollout may make no progress before it is reported failed; defaults to 600.'),
  replicas: int32('Desired number of pods; defaults to 1.'),
  revisionHistoryLimit: int32('Old ReplicaSets kept for rollback; defaults to 10.'),
  selector: selector('to manage'),
  strategy: ref(DeploymentStrategy, 'How existing pods are replaced.'),
  template: req(ref(PodTemplateSpec, 'Template of the pods; only restartPolicy Always is allowed.')),
});

export const DeploymentCondition = condition('Deployment', ': Available, Progressing or ReplicaFailure', {
  lastUpdateTime: ref(Time, 'When the condition was last updated.'),
});

export const DeploymentStatus = struct(`${APPS}.DeploymentStatus`, 'The observed state of a deployment.', {
  availableReplicas: int32('Pods ready for at least minReadySeconds.'),
  collisionCount: int32('Hash collisions met when naming ReplicaSets.'),
  conditions: list(DeploymentCondition, 'Current conditions of the deployment.', keyed('type')),
  observedGeneration: int64('Generation the controller last acted on.'),
  readyReplicas: int32('Pods with a Ready condition.'),
  replicas: int32('Pods of all ReplicaSets of the deployment that are not terminating.'),
  terminatingReplicas: int32('Pods being terminated.'),
  unavailableReplicas: int32('Pods still needed for the deployment to be fully available.'),
  updatedReplicas: int32('Non-terminating pods from the current template.'),
});

export const Deployment = topLevel('apps', 'v1', 'Deployment', 'Declarative updates of pods through ReplicaSets.', {
  spec: ref(DeploymentSpec, 'Desired state of the deployment.'),
  status: ref(DeploymentStatus, 'Observed state of the deployment. Read-only.'),
});

// ---- ReplicaSet ------------------------------------------------------------------------------------

export const ReplicaSetSpec = struct(`${APPS}.ReplicaSetSpec`, 'The desired state of a ReplicaSet.', {
  minReadySeconds,
  replicas: int32('Desired number of pods; defaults to 1.'),
  selector: selector('to count'),
  template: ref(PodTemplateSpec, 'Template of the pods created when too few exist.'),
});

export const ReplicaSetCondition = condition('ReplicaSet', ', such as ReplicaFailure');

export const ReplicaSetStatus = struct(`${APPS}.ReplicaSetStatus`, 'The observed state of a ReplicaSet.', {
  availableReplicas: int32('Pods ready for at least minReadySeconds.'),
  conditions: list(ReplicaSetCondition, 'Current conditions of the ReplicaSet.', keyed('type')),
  fullyLabeledReplicas: int32('Pods whose labels match the template labels.'),
  observedGeneration: int64('Generation the controller last acted on.'),
  readyReplicas: int32('Pods with a Ready condition.'),
  replicas: req(int32('Non-terminating pods matched by the selector.')),
  terminatingReplicas: int32('Pods being terminated.'),
});

export const ReplicaSet = topLevel('apps', 'v1', 'ReplicaSet', 'Keeps a given number of identical pods running.', {
  spec: ref(ReplicaSetSpec, 'Desired state of the ReplicaSet.'),
  status: ref(ReplicaSetStatus, 'Observed state of the ReplicaSet. Read-only.'),
});

// ---- DaemonSet -------------------------------------------------------------------------------------

export const RollingUpdateDaemonSet = struct(`${APPS}.RollingUpdateDaemonSet`, 'Limits of a daemon set rolling update.', {
  maxSurge: ref(IntOrString, 'Nodes that may run an old and a new pod at once, a number or percentage; defaults to 0.'),
  maxUnavailable: ref(IntOrString, 'Nodes whose pod may be unavailable during the update, a number or percentage; defaults to 1.'),
});

export const DaemonSetUpdateStrategy = struct(`${APPS}.DaemonSetUpdateStrategy`, 'How daemon pods are replaced.', {
  rollingUpdate: ref(RollingUpdateDaemonSet, 'Limits of a RollingUpdate.'),
  type: enumOf(['OnDelete', 'RollingUpdate'], 'RollingUpdate (default) or OnDelete.'),
});

export const DaemonSetSpec = struct(`${APPS}.DaemonSetSpec`, 'The desired state of a daemon set.', {
  minReadySeconds,
  revisionHistoryLimit: int32('Old revisions kept for rollback; defaults to 10.'),
  selector: selector('to manage'),
  template: req(ref(PodTemplateSpec, 'Template of the pod run on every eligible node; only restartPolicy Always.')),
  updateStrategy: ref(DaemonSetUpdateStrategy, 'How pods are replaced when the template changes.'),
});

export const DaemonSetCondition = condition('DaemonSet', '');

export const DaemonSetStatus = struct(`${APPS}.DaemonSetStatus`, 'The observed state of a daemon set.', {
  collisionCount: int32('Hash collisions met when naming revisions.'),
  conditions: list(DaemonSetCondition, 'Current conditions of the daemon set.', keyed('type')),
  currentNumberScheduled: req(int32('Nodes running at least one daemon pod that should.')),
  desiredNumberScheduled: req(int32('Nodes that should run the daemon pod.')),
  numberAvailable: int32('Nodes whose daemon pod is available.'),
  numberMisscheduled: req(int32('Nodes running the daemon pod that should not.')),
  numberReady: req(int32('Nodes whose daemon pod is ready.')),
  numberUnavailable: int32('Nodes whose daemon pod is not available.'),
  observedGeneration: int64('Generation the controller last acted on.'),
  updatedNumberScheduled: int32('Nodes running the current daemon pod.'),
});

export const DaemonSet = topLevel('apps', 'v1', 'DaemonSet', 'Runs a copy of a pod on every eligible node.', {
  spec: ref(DaemonSetSpec, 'Desired state of the daemon set.'),
  status: ref(DaemonSetStatus, 'Observed state of the daemon set. Read-only.'),
});

// ---- ControllerRevision ----------------------------------------------------------------------------

export const ControllerRevision = topLevel(
  'apps',
  'v1',
  'ControllerRevision',
  'An immutable snapshot of state kept by a controller for rollbacks.',
  {
    data: ref(RawExtension, 'The snapshot.'),
    revision: req(int64('Revision number of the snapshot.')),
  },
);
