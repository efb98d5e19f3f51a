// The taint-eviction controller (pkg/controller/tainteviction): pods on a node with NoExecute
// taints they do not tolerate are deleted at once; pods tolerating them for tolerationSeconds
// are deleted when that time has passed since the taint was added. Before the deletion the pod
// gets the DisruptionTarget condition (reason DeletionByTaintManager).

import type { Node, Pod, Taint } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { KubeletEventRecorder } from '../../kubelet/events.js';
import { ApiEventSink } from '../../agent/api-seams.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import type { PodsByNode } from './pods-by-node.js';
import { tolerationTimeMs } from './taints.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');

export interface TaintEvictionOptions {
  client: ApiClient;
  nodes: Informer<Node>;
  pods: Informer<Pod>;
  podsByNode: PodsByNode;
  clock: Clock;
  log: Logger;
}

export class TaintEvictionController {
  private readonly queue: WorkQueue;
  private readonly recorder: KubeletEventRecorder;
  /** Pods with an eviction scheduled, by uid: when. */
  private readonly scheduled = new Map<string, number>();

  constructor(private readonly opts: TaintEvictionOptions) {
    this.queue = new WorkQueue((node) => this.sync(node), { clock: opts.clock, log: opts.log });
    this.recorder = new KubeletEventRecorder({ sink: new ApiEventSink(opts.client), clock: opts.clock, component: 'taint-eviction-controller', host: '' });
    opts.nodes.on({
      add: (n) => this.queue.add(n.metadata.name!),
      update: (n, old) => {
        if (JSON.stringify(noExecute(n)) !== JSON.stringify(noExecute(old))) this.queue.add(n.metadata.name!);
      },
    });
    opts.pods.on({
      add: (p) => p.spec.nodeName && this.queue.add(p.spec.nodeName),
      update: (p, old) => {
        if (p.spec.nodeName && (p.spec.nodeName !== old.spec.nodeName || JSON.stringify(p.spec.tolerations) !== JSON.stringify(old.spec.tolerations))) this.queue.add(p.spec.nodeName);
      },
      delete: (p) => this.scheduled.delete(p.metadata.uid!),
    });
  }

  start(): void {
    for (const n of this.opts.nodes.list()) this.queue.add(n.metadata.name!);
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
  }

  private async sync(nodeName: string): Promise<void> {
    const node = this.opts.nodes.get('', nodeName);
    const taints = node ? noExecute(node) : [];
    const now = this.opts.clock.now();
    const since = taints.reduce((min, t) => Math.min(min, t.timeAdded ? Date.parse(t.timeAdded) : now), now);
    let next = Infinity;
    for (const pod of this.opts.podsByNode.on(nodeName)) {
      if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const uid = pod.metadata.uid!;
      const allowed = taints.length ? tolerationTimeMs(pod.spec.tolerations, taints) : Infinity;
      if (allowed === Infinity) {
        if (this.scheduled.delete(uid)) this.podEvent(pod, 'TaintManagerEviction', `Cancelling deletion of Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
        continue;
      }
      const at = since + allowed;
      if (at > now) {
        this.scheduled.set(uid, at);
        next = Math.min(next, at - now);
        continue;
      }
      await this.evict(pod);
    }
    if (next !== Infinity) this.queue.addAfter(nodeName, next);
  }

  private async evict(pod: Pod): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    this.scheduled.delete(uid!);
    this.podEvent(pod, 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    try {
      const stamp = rfc3339(this.opts.clock.now());
      const conditions = [
        ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
        { type: 'DisruptionTarget', status: 'True', lastTransitionTime: stamp, reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' },
      ];
      await this.opts.client.patch(PODS, namespace!, name!, { metadata: { uid }, status: { conditions } }, 'strategic', 'status');
      await this.opts.client.delete(PODS, namespace!, name!, { preconditions: { uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  private podEvent(pod: Pod, reason: string, message: string): void {
    this.recorder.event({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid }, 'Normal', reason, message);
  }
}

function noExecute(node: Node): Taint[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}
