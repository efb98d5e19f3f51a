// The node lifecycle controller (pkg/controller/nodelifecycle): every 5 s it checks each node's
// last sign of life — a changed Ready heartbeat or a renewed Lease in kube-node-lease, as this
// controller observed them — and after the grace period (50 s in Kubernetes 1.32+) sets the
// node's conditions Unknown ("Kubelet stopped posting node status."). It keeps the condition
// taints in step (not-ready / unreachable with NoSchedule and NoExecute, pressure and
// unschedulable with NoSchedule) and marks the pods of a node that is not Ready not Ready.
// Evicting pods from NoExecute taints is the taint-eviction controller's job.

import type { KubeObject, Node, NodeCondition, Pod, Taint } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { KubeletEventRecorder } from '../../kubelet/events.js';
import { ApiEventSink } from '../../agent/api-seams.js';
import { rfc3339, type Clock, type Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { PodsByNode } from './pods-by-node.js';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  sameTaint,
} from './taints.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

export const NODE_MONITOR_PERIOD_MS = 5_000;
export const NODE_MONITOR_GRACE_PERIOD_MS = 50_000;
/** A node that registered but never reported gets this long (node-startup-grace-period). */
export const NODE_STARTUP_GRACE_PERIOD_MS = 60_000;

interface Lease extends KubeObject {
  spec?: { renewTime?: string; holderIdentity?: string; leaseDurationSeconds?: number };
}

interface Health {
  /** When this controller last saw the node alive (its clock). */
  probe: number;
  heartbeat?: string;
  renewTime?: string;
  readyStatus?: string;
  /** Marking the node's pods not ready failed and is to be retried. */
  markPending?: boolean;
}

export interface NodeLifecycleOptions {
  client: ApiClient;
  nodes: Informer<Node>;
  podsByNode: PodsByNode;
  clock: Clock;
  log: Logger;
  gracePeriodMs?: number;
  monitorPeriodMs?: number;
}

/** The conditions the controller sets Unknown when the kubelet goes silent. */
const MONITORED = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export class NodeLifecycleController {
  private readonly leases: Informer<Lease>;
  private readonly health = new Map<string, Health>();
  private readonly recorder: KubeletEventRecorder;
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly grace: number;
  private readonly period: number;

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.grace = opts.gracePeriodMs ?? NODE_MONITOR_GRACE_PERIOD_MS;
    this.period = opts.monitorPeriodMs ?? NODE_MONITOR_PERIOD_MS;
    this.leases = new Informer<Lease>(opts.client, LEASES, { namespace: 'kube-node-lease' });
    this.recorder = new KubeletEventRecorder({ sink: new ApiEventSink(opts.client), clock: opts.clock, component: 'node-controller', host: '' });
    opts.nodes.on({ delete: (n) => this.health.delete(n.metadata.name!) });
  }

  async start(): Promise<void> {
    this.leases.start();
    await this.leases.synced;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.leases.stop();
  }

  /** Runs one monitoring pass now (tests; the timer runs them every 5 s). */
  monitor(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      void this.monitor().finally(() => this.schedule());
    }, this.period);
  }

  private async pass(): Promise<void> {
    for (const node of this.opts.nodes.list()) {
      if (this.stopped) return;
      try {
        await this.check(node);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) this.opts.log.warn('node health check failed', { node: node.metadata.name, error: (err as Error).message });
      }
    }
  }

  private async check(observed: Node): Promise<void> {
    const name = observed.metadata.name!;
    const now = this.opts.clock.now();
    const ready = observed.status?.conditions?.find((c) => c.type === 'Ready');
    const lease = this.leases.get('kube-node-lease', name);
    let h = this.health.get(name);
    if (!h) {
      h = { probe: now, ...(ready?.lastHeartbeatTime ? { heartbeat: ready.lastHeartbeatTime } : {}), ...(lease?.spec?.renewTime ? { renewTime: lease.spec.renewTime } : {}), readyStatus: ready?.status ?? 'Unknown' };
      this.health.set(name, h);
    }
    if (ready?.lastHeartbeatTime && ready.lastHeartbeatTime !== h.heartbeat) {
      h.heartbeat = ready.lastHeartbeatTime;
      h.probe = now;
    }
    if (lease?.spec?.renewTime && (!h.renewTime || Date.parse(lease.spec.renewTime) > Date.parse(h.renewTime))) {
      h.renewTime = lease.spec.renewTime;
      h.probe = now;
    }

    let node = observed;
    const grace = ready ? this.grace : NODE_STARTUP_GRACE_PERIOD_MS;
    if (now > h.probe + grace) {
      const conditions = unknownConditions(node.status?.conditions ?? [], rfc3339(now));
      if (JSON.stringify(conditions) !== JSON.stringify(node.status?.conditions ?? [])) {
        node = await this.opts.client.update<Node>(NODES, { ...node, status: { ...node.status, conditions } }, 'status');
      }
    }

    const current = node.status?.conditions?.find((c) => c.type === 'Ready');
    const status = current?.status ?? 'Unknown';
    const lostReady = h.readyStatus === 'True' && status !== 'True';
    if (status !== h.readyStatus) {
      if (lostReady) this.nodeEvent(node, 'NodeNotReady');
      if (status === 'True') this.nodeEvent(node, 'NodeReady');
      h.readyStatus = status;
    }
    await this.reconcileTaints(node, now);
    // Pods lose Ready when their node does (and again on the next pass if that failed).
    if (lostReady || (h.markPending && status !== 'True')) {
      h.markPending = true;
      await this.markPodsNotReady(node, now);
      h.markPending = false;
    } else if (status === 'True') h.markPending = false;
  }

  private nodeEvent(node: Node, reason: 'NodeNotReady' | 'NodeReady'): void {
    this.recorder.event({ kind: 'Node', apiVersion: 'v1', name: node.metadata.name, uid: node.metadata.uid }, 'Normal', reason, `Node ${node.metadata.name} status is now: ${reason}`);
  }

  /** The condition taints: what the conditions ask for, nothing else of ours. */
  private async reconcileTaints(node: Node, now: number): Promise<void> {
    const cond = (type: string) => node.status?.conditions?.find((c) => c.type === type)?.status;
    const wanted: Taint[] = [];
    // No Ready condition yet (a node just registering): no readiness taint until the startup grace ends.
    const ready = cond('Ready');
    if (ready === 'False') wanted.push({ key: TAINT_NOT_READY, effect: 'NoSchedule' }, { key: TAINT_NOT_READY, effect: 'NoExecute' });
    if (ready === 'Unknown') wanted.push({ key: TAINT_UNREACHABLE, effect: 'NoSchedule' }, { key: TAINT_UNREACHABLE, effect: 'NoExecute' });
    if (cond('MemoryPressure') === 'True') wanted.push({ key: TAINT_MEMORY_PRESSURE, effect: 'NoSchedule' });
    if (cond('DiskPressure') === 'True') wanted.push({ key: TAINT_DISK_PRESSURE, effect: 'NoSchedule' });
    if (cond('PIDPressure') === 'True') wanted.push({ key: TAINT_PID_PRESSURE, effect: 'NoSchedule' });
    if (cond('NetworkUnavailable') === 'True') wanted.push({ key: TAINT_NETWORK_UNAVAILABLE, effect: 'NoSchedule' });
    if (node.spec?.unschedulable) wanted.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });

    const ours = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_MEMORY_PRESSURE, TAINT_DISK_PRESSURE, TAINT_PID_PRESSURE, TAINT_NETWORK_UNAVAILABLE, TAINT_UNSCHEDULABLE]);
    const existing = node.spec?.taints ?? [];
    const kept = existing.filter((t) => !ours.has(t.key) || wanted.some((w) => sameTaint(w, t)));
    const added = wanted.filter((w) => !existing.some((t) => sameTaint(w, t))).map((t) => (t.effect === 'NoExecute' ? { ...t, timeAdded: rfc3339(now) } : t));
    if (kept.length === existing.length && !added.length) return;
    const taints = [...kept, ...added];
    await this.opts.client.patch(NODES, '', node.metadata.name!, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { taints: taints.length ? taints : null } }, 'merge');
  }

  /** MarkPodsNotReady: the Ready condition of the node's pods turns False. */
  private async markPodsNotReady(node: Node, now: number): Promise<void> {
    const stamp = rfc3339(now);
    for (const pod of this.opts.podsByNode.on(node.metadata.name!)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: stamp } : c));
      try {
        await this.opts.client.patch<Pod>(PODS, pod.metadata.namespace!, pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status: { conditions } }, 'strategic', 'status');
        this.recorder.event({ kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid }, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
  }
}

/** The monitored conditions set Unknown (those missing added as never updated). */
function unknownConditions(conditions: NodeCondition[], stamp: string): NodeCondition[] {
  const out = conditions.map((c) => {
    if (!MONITORED.includes(c.type) || c.status === 'Unknown') return c;
    return { ...c, status: 'Unknown' as const, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp };
  });
  for (const type of MONITORED) {
    if (!out.some((c) => c.type === type)) {
      out.push({ type, status: 'Unknown', lastHeartbeatTime: stamp, lastTransitionTime: stamp, reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    }
  }
  return out;
}
