// NodePorts: a pod's host ports must be free on the node (0.0.0.0 conflicts with every IP).

import { unschedulable, type FilterPlugin } from '../framework.js';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  filter(_state, pod, node) {
    for (const p of pod.hostPorts) if (node.usedPorts.conflicts(p)) return unschedulable(ERR_REASON_PORTS);
    return undefined;
  },
};
