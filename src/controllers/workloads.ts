// The workload controllers of kube-controller-manager — ReplicaSet, Deployment, DaemonSet — on
// one set of shared informers. Each is a pure API client: it reads through list+watch and writes
// through the API server like any other client.

import type { ApiClient } from '../client/client.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { WorkloadInformers } from './shared/informers.js';
import { ReplicaSetController } from './replicaset/controller.js';
import { DeploymentController } from './deployment/controller.js';
import { DaemonSetController } from './daemonset/controller.js';

export interface WorkloadControllers {
  stop(): void;
}

export async function startWorkloadControllers(client: ApiClient, opts: { clock?: Clock; log: Logger }): Promise<WorkloadControllers> {
  const clock = opts.clock ?? realClock;
  const informers = new WorkloadInformers(client);
  const controllers = [
    new ReplicaSetController({ client, informers, clock, log: opts.log.child('replicaset') }),
    new DeploymentController({ client, informers, clock, log: opts.log.child('deployment') }),
    new DaemonSetController({ client, informers, clock, log: opts.log.child('daemonset') }),
  ];
  await informers.start();
  for (const c of controllers) c.start();
  return {
    stop() {
      for (const c of controllers) c.stop();
      informers.stop();
    },
  };
}
