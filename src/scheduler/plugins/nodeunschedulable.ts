// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the
// node.kubernetes.io/unschedulable:NoSchedule taint.

import { unresolvable, type FilterPlugin } from '../framework.js';
import { tolerationsTolerate } from './tainttoleration.js';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state, pod, node) {
    if (!node.node?.spec?.unschedulable) return undefined;
    if (tolerationsTolerate(pod.pod.spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return undefined;
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
};
