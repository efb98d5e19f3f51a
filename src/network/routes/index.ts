// Pod networking across nodes: routes to every other node's pods (host-gw), and the pod network
// told not to masquerade traffic to them, so pods see each other's real addresses.

import { join } from 'node:path';
import type { ApiClient } from '../../client/client.js';
import type { Logger } from '../../util/log.js';
import type { PodNetwork } from '../pod-network/index.js';
import { NodeRoutes } from './node-routes.js';

export { NodeRoutes, type NodeRoutesOptions } from './node-routes.js';
export { routeTo, type PeerRoute, type LocalNode } from './plan.js';
export { ROUTE_PROTOCOL } from './kernel.js';

export interface NodeRoutingOptions {
  client: ApiClient;
  nodeName: string;
  nodeIPs: string[];
  network: PodNetwork;
  /** The agent's state directory (routes.json lives there). */
  stateDir: string;
  log: Logger;
}

/** Starts keeping this node's routes to the other nodes' pods; stop() removes them. */
export async function startNodeRouting(opts: NodeRoutingOptions): Promise<NodeRoutes> {
  const routes = new NodeRoutes({
    client: opts.client,
    self: { name: opts.nodeName, podCIDR: opts.network.podCIDR, addresses: opts.nodeIPs },
    stateFile: join(opts.stateDir, 'routes.json'),
    onPeerSubnets: (cidrs) => opts.network.setPeerSubnets(cidrs),
    log: opts.log,
  });
  await routes.start();
  return routes;
}
