// The informers the workload controllers share: one list+watch per resource for all of them, as
// kube-controller-manager's shared informer factory.

import type { KubeObject, Node, Pod } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from './types.js';

export const PODS = ApiClient.resourceOf('v1', 'Pod');
export const NODES = ApiClient.resourceOf('v1', 'Node');
export const REPLICA_SETS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
export const DEPLOYMENTS = ApiClient.resourceOf('apps/v1', 'Deployment');
export const DAEMON_SETS = ApiClient.resourceOf('apps/v1', 'DaemonSet');
export const CONTROLLER_REVISIONS = ApiClient.resourceOf('apps/v1', 'ControllerRevision');

export class WorkloadInformers {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly replicaSets: Informer<ReplicaSet>;
  readonly deployments: Informer<Deployment>;
  readonly daemonSets: Informer<DaemonSet>;
  readonly revisions: Informer<ControllerRevision>;

  constructor(client: ApiClient) {
    this.pods = new Informer<Pod>(client, PODS);
    this.nodes = new Informer<Node>(client, NODES);
    this.replicaSets = new Informer<ReplicaSet>(client, REPLICA_SETS);
    this.deployments = new Informer<Deployment>(client, DEPLOYMENTS);
    this.daemonSets = new Informer<DaemonSet>(client, DAEMON_SETS);
    this.revisions = new Informer<ControllerRevision>(client, CONTROLLER_REVISIONS);
  }

  private all(): Informer<KubeObject>[] {
    return [this.pods, this.nodes, this.replicaSets, this.deployments, this.daemonSets, this.revisions] as unknown as Informer<KubeObject>[];
  }

  /** Starts every informer and resolves when all have listed. */
  async start(): Promise<void> {
    const all = this.all();
    for (const i of all) i.start();
    await Promise.all(all.map((i) => i.synced));
  }

  stop(): void {
    for (const i of this.all()) i.stop();
  }
}

export function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
