// The default scheduler profile (v1.33 getDefaultPlugins): which plugins run at each extension
// point, in which order (Filter stops at the first failure), and with which score weights (kept on
// the plugins: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2, InterPodAffinity 2,
// NodeResourcesFit 1, NodeResourcesBalancedAllocation 1, ImageLocality 1).

import { Framework, type Handle } from './framework.js';
import { imageLocality } from './plugins/imagelocality.js';
import { interPodAffinity } from './plugins/interpodaffinity.js';
import { nodeAffinity } from './plugins/nodeaffinity.js';
import { nodeName } from './plugins/nodename.js';
import { nodePorts } from './plugins/nodeports.js';
import { balancedAllocation, nodeResourcesFit } from './plugins/noderesources.js';
import { nodeUnschedulable } from './plugins/nodeunschedulable.js';
import { podTopologySpread } from './plugins/podtopologyspread.js';
import { taintToleration } from './plugins/tainttoleration.js';
import { volumeRestrictions } from './plugins/volumerestrictions.js';

export function defaultProfile(handle: Handle): Framework {
  const affinity = interPodAffinity(handle);
  const spread = podTopologySpread(handle);
  return new Framework(
    [nodeAffinity, spread, affinity],
    [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, volumeRestrictions, spread, affinity],
    [taintToleration, nodeAffinity, nodeResourcesFit, spread, affinity, balancedAllocation, imageLocality(handle)],
  );
}
