// The kernel's routing table, through iproute2: routes to other nodes' pod subnets, marked with
// k8ts' routing protocol number so that `ip route` shows whose they are.

import { run } from '../pod-network/host-command.js';
import type { PeerRoute } from './plan.js';

/** The `proto` of k8ts' routes (an unassigned number of rtnetlink's protocol field). */
export const ROUTE_PROTOCOL = '191';

export interface RouteTable {
  replace(route: PeerRoute): Promise<void>;
  delete(route: PeerRoute): Promise<void>;
}

export const kernelRoutes: RouteTable = {
  async replace(route) {
    await run('ip', ['-4', 'route', 'replace', route.cidr, 'via', route.via, 'proto', ROUTE_PROTOCOL]);
  },
  async delete(route) {
    // Only ours: the same subnet, next hop and protocol; a route that is already gone is fine.
    await run('ip', ['-4', 'route', 'del', route.cidr, 'via', route.via, 'proto', ROUTE_PROTOCOL]).catch((err: Error) => {
      if (!/No such process|not found|Cannot find/i.test(err.message)) throw err;
    });
  },
};
