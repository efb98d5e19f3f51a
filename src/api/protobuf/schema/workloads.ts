// apps/v1, batch/v1 and policy/v1 messages. Notation: see meta.ts.

export const workloadsSchema = `
Deployment
  1 metadata ObjectMeta
  2 spec DeploymentSpec
  3 status DeploymentStatus

DeploymentSpec
  1 replicas int32 keep
  2 selector LabelSelector
  3 template PodTemplateSpec
  4 strategy DeploymentStrategy
  5 minReadySeconds int32
  6 revisionHistoryLimit int32 keep
  7 paused bool
  9 progressDeadlineSeconds int32 keep
  10 podReplacementPolicy string keep

DeploymentStrategy
  1 type string
  2 rollingUpdate RollingUpdateDeployment

RollingUpdateDeployment
  1 maxUnavailable IntOrString keep
  2 maxSurge IntOrString keep

DeploymentStatus
  1 observedGeneration int64
  2 replicas int32
  3 updatedReplicas int32
  7 readyReplicas int32
  4 availableReplicas int32
  5 unavailableReplicas int32
  9 terminatingReplicas int32 keep
  6 conditions []DeploymentCondition
  8 collisionCount int32 keep

DeploymentCondition
  1 type string keep
  2 status string keep
  6 lastUpdateTime Time
  7 lastTransitionTime Time
  4 reason string
  5 message string

ReplicaSet
  1 metadata ObjectMeta
  2 spec ReplicaSetSpec
  3 status ReplicaSetStatus

ReplicaSetSpec
  1 replicas int32 keep
  4 minReadySeconds int32
  2 selector LabelSelector
  3 template PodTemplateSpec

ReplicaSetStatus
  1 replicas int32 keep
  2 fullyLabeledReplicas int32
  4 readyReplicas int32
  5 availableReplicas int32
  7 terminatingReplicas int32 keep
  3 observedGeneration int64
  6 conditions []ReplicaSetCondition

ReplicaSetCondition
  1 type string keep
  2 status string keep
  3 lastTransitionTime Time
  4 reason string
  5 message string

DaemonSet
  1 metadata ObjectMeta
  2 spec DaemonSetSpec
  3 status DaemonSetStatus

DaemonSetSpec
  1 selector LabelSelector
  2 template PodTemplateSpec
  3 updateStrategy DaemonSetUpdateStrategy
  4 minReadySeconds int32
  6 revisionHistoryLimit int32 keep

DaemonSetUpdateStrategy
  1 type string
  2 rollingUpdate RollingUpdateDaemonSet

RollingUpdateDaemonSet
  1 maxUnavailable IntOrString keep
  2 maxSurge IntOrString keep

DaemonSetStatus
  1 currentNumberScheduled int32 keep
  2 numberMisscheduled int32 keep
  3 desiredNumberScheduled int32 keep
  4 numberReady int32 keep
  5 observedGeneration int64
  6 updatedNumberScheduled int32
  7 numberAvailable int32
  8 numberUnavailable int32
  9 collisionCount int32 keep
  10 conditions []DaemonSetCondition

DaemonSetCondition
  1 type string keep
  2 status string keep
  3 lastTransitionTime Time
  4 reason string
  5 message string

Job
  1 metadata ObjectMeta
  2 spec JobSpec
  3 status JobStatus

JobTemplateSpec
  1 metadata ObjectMeta
  2 spec JobSpec

JobSpec
  1 parallelism int32 keep
  2 completions int32 keep
  3 activeDeadlineSeconds int64 keep
  11 podFailurePolicy PodFailurePolicy
  16 successPolicy SuccessPolicy
  7 backoffLimit int32 keep
  12 backoffLimitPerIndex int32 keep
  13 maxFailedIndexes int32 keep
  4 selector LabelSelector
  5 manualSelector bool keep
  6 template PodTemplateSpec
  8 ttlSecondsAfterFinished int32 keep
  9 completionMode string keep
  10 suspend bool keep
  14 podReplacementPolicy string keep
  15 managedBy string keep

PodFailurePolicy
  1 rules []PodFailurePolicyRule

PodFailurePolicyRule
  1 action string keep
  2 onExitCodes PodFailurePolicyOnExitCodesRequirement
  3 onPodConditions []PodFailurePolicyOnPodConditionsPattern

PodFailurePolicyOnExitCodesRequirement
  1 containerName string keep
  2 operator string keep
  3 values []int32

PodFailurePolicyOnPodConditionsPattern
  1 type string keep
  2 status string

SuccessPolicy
  1 rules []SuccessPolicyRule

SuccessPolicyRule
  1 succeededIndexes string keep
  2 succeededCount int32 keep

JobStatus
  1 conditions []JobCondition
  2 startTime Time
  3 completionTime Time
  4 active int32
  5 succeeded int32
  6 failed int32
  11 terminating int32 keep
  7 completedIndexes string
  10 failedIndexes string keep
  8 uncountedTerminatedPods UncountedTerminatedPods
  9 ready int32 keep

JobCondition
  1 type string keep
  2 status string keep
  3 lastProbeTime Time
  4 lastTransitionTime Time
  5 reason string
  6 message string

UncountedTerminatedPods
  1 succeeded []string
  2 failed []string

CronJob
  1 metadata ObjectMeta
  2 spec CronJobSpec
  3 status CronJobStatus

CronJobSpec
  1 schedule string keep
  8 timeZone string keep
  2 startingDeadlineSeconds int64 keep
  3 concurrencyPolicy string
  4 suspend bool keep
  5 jobTemplate JobTemplateSpec
  6 successfulJobsHistoryLimit int32 keep
  7 failedJobsHistoryLimit int32 keep

CronJobStatus
  1 active []ObjectReference
  4 lastScheduleTime Time
  5 lastSuccessfulTime Time

PodDisruptionBudget
  1 metadata ObjectMeta
  2 spec PodDisruptionBudgetSpec
  3 status PodDisruptionBudgetStatus

PodDisruptionBudgetSpec
  1 minAvailable IntOrString keep
  2 selector LabelSelector
  3 maxUnavailable IntOrString keep
  4 unhealthyPodEvictionPolicy string keep

PodDisruptionBudgetStatus
  1 observedGeneration int64
  2 disruptedPods map<string,Time>
  3 disruptionsAllowed int32 keep
  4 currentHealthy int32 keep
  5 desiredHealthy int32 keep
  6 expectedPods int32 keep
  7 conditions []Condition
`;
