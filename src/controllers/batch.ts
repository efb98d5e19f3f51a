// The batch and lifecycle controllers of kube-controller-manager, started together over shared
// informers: Job (with TTL-after-finished), CronJob, the garbage collector, node lifecycle with
// taint-based eviction, pod GC and the disruption controller. Each is a pure API client.

import type { Node, Pod } from '../api/types.js';
import { ApiClient } from '../client/client.js';
import { Informer } from '../client/informer.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { OwnerIndex } from './job/owner-index.js';
import { JobController } from './job/controller.js';
import { TtlAfterFinishedController } from './job/ttl-after-finished.js';
import { GarbageCollector } from './garbage-collector/controller.js';
import { PodsByNode } from './node-lifecycle/pods-by-node.js';
import { NodeLifecycleController } from './node-lifecycle/controller.js';
import { TaintEvictionController } from './node-lifecycle/taint-eviction.js';
import { PodGcController } from './podgc/controller.js';
import { DisruptionController } from './disruption/controller.js';
import { CronJobController } from './cronjob/controller.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');

export interface BatchControllersOptions {
  clock?: Clock;
  log: Logger;
  /** Terminated pods kept before pod GC deletes the oldest (default 12500, kube-controller-manager's). */
  terminatedPodGcThreshold?: number;
  /** How long a node may stay silent before the node lifecycle controller marks it (default 50 s). */
  nodeMonitorGracePeriodMs?: number;
}

export interface BatchControllers {
  stop(): void;
  /** Resolves when every controller has filled its caches and runs. */
  synced: Promise<void>;
}

export async function startBatchAndLifecycleControllers(client: ApiClient, opts: BatchControllersOptions): Promise<BatchControllers> {
  const clock = opts.clock ?? realClock;
  const log = opts.log;
  const pods = new Informer<Pod>(client, PODS);
  const nodes = new Informer<Node>(client, NODES);
  const podsByOwner = new OwnerIndex(pods);
  const podsByNode = new PodsByNode(pods);

  const job = new JobController({ client, pods, podsByOwner, clock, log: log.child('job') });
  const ttl = new TtlAfterFinishedController(client, job.jobs, clock, log.child('ttl-after-finished'));
  const cronJob = new CronJobController({ client, jobs: job.jobs, clock, log: log.child('cronjob') });
  const gc = new GarbageCollector({ client, clock, log: log.child('garbage-collector'), shared: [pods as Informer, nodes as Informer, job.jobs as Informer] });
  const nodeLifecycle = new NodeLifecycleController({
    client,
    nodes,
    podsByNode,
    clock,
    log: log.child('node-lifecycle'),
    ...(opts.nodeMonitorGracePeriodMs !== undefined ? { gracePeriodMs: opts.nodeMonitorGracePeriodMs } : {}),
  });
  const taintEviction = new TaintEvictionController({ client, nodes, pods, podsByNode, clock, log: log.child('taint-eviction') });
  const podGc = new PodGcController({ client, pods, nodes, podsByNode, clock, log: log.child('podgc'), ...(opts.terminatedPodGcThreshold !== undefined ? { terminatedPodThreshold: opts.terminatedPodGcThreshold } : {}) });
  const disruption = new DisruptionController({ client, pods, clock, log: log.child('disruption') });

  const stoppers = [pods, nodes, job, cronJob, gc, nodeLifecycle, disruption, ttl, taintEviction, podGc];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const s of stoppers.reverse()) s.stop();
  };
  pods.start();
  nodes.start();
  // Every informer lists at once, in the background: the cluster does not wait for these caches
  // (about thirty lists and watches); each controller acts once the caches it reads are filled.
  const synced = Promise.all([pods.synced, nodes.synced, job.start(), cronJob.start(), gc.start(), nodeLifecycle.start(), disruption.start()]).then(() => {
    if (stopped) return;
    ttl.start();
    taintEviction.start();
    podGc.start();
  });
  synced.catch((err: unknown) => log.error('batch controllers failed to start', { error: (err as Error).message }));
  return { stop, synced };
}
