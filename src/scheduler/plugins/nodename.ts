// NodeName: a pod that names a node fits only that node.

import { unresolvable, type FilterPlugin } from '../framework.js';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(_state, pod, node) {
    const want = pod.pod.spec.nodeName;
    return want && want !== node.name ? unresolvable(ERR_REASON_NODE_NAME) : undefined;
  },
};
