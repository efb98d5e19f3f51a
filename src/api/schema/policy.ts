// policy/v1: PodDisruptionBudget and Eviction.
import { Condition, DeleteOptions, IntOrString, LabelSelector, Time, topLevel } from './meta.js';
import { enumOf, int32, int64, keyed, list, map, ref, req, struct } from './dsl.js';

const POLICY = 'io.k8s.api.policy.v1';

export const PodDisruptionBudgetSpec = struct(
  `${POLICY}.PodDisruptionBudgetSpec`,
  'Bounds on voluntary disruption of a set of pods.',
  {
    maxUnavailable: ref(IntOrString, 'Most pods that may be unavailable after an eviction, a number or percentage.'),
    minAvailable: ref(IntOrString, 'Least pods that must stay available after an eviction, a number or percentage.'),
    selector: ref(LabelSelector, 'Label query over the pods covered.'),
    unhealthyPodEvictionPolicy: enumOf(
      ['AlwaysAllow', 'IfHealthyBudget'],
      'When pods that are running but not ready may be evicted: IfHealthyBudget (default) or AlwaysAllow.',
    ),
  },
);

export const PodDisruptionBudgetStatus = struct(
  `${POLICY}.PodDisruptionBudgetStatus`,
  'The observed state of a disruption budget.',
  {
    conditions: list(Condition, 'Current conditions, such as DisruptionAllowed.', keyed('type')),
    currentHealthy: req(int32('Healthy pods now.')),
    desiredHealthy: req(int32('Least healthy pods wanted.')),
    disruptedPods: map(Time, 'Pods whose eviction was accepted but that are not gone yet, with the time.'),
    disruptionsAllowed: req(int32('Disruptions allowed now.')),
    expectedPods: req(int32('Pods counted by the budget.')),
    observedGeneration: int64('Generation the status was computed from.'),
  },
);

export const PodDisruptionBudget = topLevel(
  'policy',
  'v1',
  'PodDisruptionBudget',
  'Limits how many pods of a set voluntary disruptions may take down at once.',
  {
    spec: ref(PodDisruptionBudgetSpec, 'Desired bounds.'),
    status: ref(PodDisruptionBudgetStatus, 'Observed state. Read-only.'),
  },
);

export const Eviction = topLevel(
  'policy',
  'v1',
  'Eviction',
  'A request to evict a pod, subject to its disruption budgets; posted to pods/eviction.',
  { deleteOptions: ref(DeleteOptions, 'Options of the resulting delete.') },
);
