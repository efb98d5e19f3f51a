// The scheduler, an API client: watches pods without a node that name it, filters and scores the
// ready nodes, binds through pods/binding, and reports Scheduled or FailedScheduling (with the
// PodScheduled=False condition), retrying unschedulable pods when nodes or pods change.

import type { Node, Pod } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { ApiClient, resourcePath } from '../client/client.js';
import { Informer } from '../client/informer.js';
import { KubeletEventRecorder, type EventSink } from '../kubelet/events.js';
import { podReference } from '../kubelet/types.js';
import { rfc3339, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { score, unfitReasons, type NodeInfo } from './filters.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');
const RETRY_MS = 5000;

function isReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function holdsResources(pod: Pod): boolean {
  return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

export class Scheduler {
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly recorder: KubeletEventRecorder;
  private readonly queue = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private draining = false;
  private retryTimer: { cancel(): void } | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock,
    eventSink: EventSink,
    private readonly log: Logger,
    private readonly schedulerName = 'default-scheduler',
  ) {
    this.recorder = new KubeletEventRecorder({ sink: eventSink, clock, component: 'default-scheduler', host: '' });
    this.pods = new Informer<Pod>(client, PODS);
    this.nodes = new Informer<Node>(client, NODES);
    const consider = (pod: Pod) => {
      if (this.wants(pod)) this.enqueue(pod);
    };
    this.pods.on({
      add: consider,
      update: consider,
      delete: (pod) => {
        this.queue.delete(key(pod));
        if (pod.spec.nodeName) this.retryUnschedulable();
      },
    });
    this.nodes.on({ add: () => this.retryUnschedulable(), update: () => this.retryUnschedulable() });
  }

  async start(): Promise<void> {
    this.nodes.start();
    this.pods.start();
    await Promise.all([this.nodes.synced, this.pods.synced]);
  }

  stop(): void {
    this.pods.stop();
    this.nodes.stop();
    this.retryTimer?.cancel();
  }

  private wants(pod: Pod): boolean {
    return !pod.spec.nodeName && !pod.metadata.deletionTimestamp && (pod.spec.schedulerName ?? 'default-scheduler') === this.schedulerName && !pod.spec.schedulingGates?.length;
  }

  private enqueue(pod: Pod): void {
    this.queue.add(key(pod));
    void this.drain();
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
    this.unschedulable.clear();
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.size) {
        const k = this.queue.values().next().value as string;
        this.queue.delete(k);
        const [ns, name] = k.split('/') as [string, string];
        const pod = this.pods.get(ns, name);
        if (pod && this.wants(pod)) await this.scheduleOne(pod);
      }
    } finally {
      this.draining = false;
    }
  }

  private nodeInfos(): NodeInfo[] {
    const byNode = new Map<string, Pod[]>();
    for (const p of this.pods.list()) {
      if (!p.spec.nodeName || !holdsResources(p)) continue;
      let list = byNode.get(p.spec.nodeName);
      if (!list) byNode.set(p.spec.nodeName, (list = []));
      list.push(p);
    }
    return this.nodes.list().map((node) => ({ node, pods: byNode.get(node.metadata.name!) ?? [] }));
  }

  private async scheduleOne(pod: Pod): Promise<void> {
    const infos = this.nodeInfos();
    const counts = new Map<string, number>();
    let best: { info: NodeInfo; score: number } | undefined;
    for (const info of infos) {
      const reasons = isReady(info.node) ? unfitReasons(pod, info) : ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"];
      if (reasons.length) {
        for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
        continue;
      }
      const s = score(pod, info);
      if (!best || s > best.score) best = { info, score: s };
    }
    if (!best) return this.reportUnschedulable(pod, infos.length, counts);
    const nodeName = best.info.node.metadata.name!;
    try {
      await this.client.request('POST', `${resourcePath(PODS, pod.metadata.namespace, pod.metadata.name)}/binding`, {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
      });
      this.recorder.event(podReference(pod), 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`);
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      this.log.warn('binding failed', { pod: key(pod), error: (err as Error).message });
      this.unschedulable.add(key(pod));
      this.scheduleRetry();
    }
  }

  private async reportUnschedulable(pod: Pod, nodeCount: number, counts: Map<string, number>): Promise<void> {
    const parts = [...counts.entries()].map(([reason, n]) => `${n} ${reason}`).sort();
    const message =
      nodeCount === 0
        ? 'no nodes available to schedule pods'
        : `0/${nodeCount} nodes are available: ${parts.join(', ')}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
    this.unschedulable.add(key(pod));
    this.scheduleRetry();
    const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (existing?.status === 'False' && existing.reason === 'Unschedulable' && existing.message === message) return;
    this.recorder.event(podReference(pod), 'Warning', 'FailedScheduling', message);
    try {
      await this.client.patch(PODS, pod.metadata.namespace!, pod.metadata.name!, {
        status: {
          conditions: [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock.now()), reason: 'Unschedulable', message }],
        },
      }, 'strategic', 'status');
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) this.log.warn('status update failed', { pod: key(pod), error: (err as Error).message });
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.retryUnschedulable();
    }, RETRY_MS);
  }
}

function key(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
