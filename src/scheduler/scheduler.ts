// The scheduler, an API client like any other: informers on pods, nodes, namespaces, PDBs and the
// workload objects behind the default spread; a scheduling queue; one scheduling cycle at a time
// (PreFilter → Filter → PostFilter/preemption or PreScore → Score → pick) on an incrementally kept
// cache; and an asynchronous binding through pods/binding. Failures become the PodScheduled=False
// condition and a FailedScheduling event with Kubernetes' exact message.

import { performance } from 'node:perf_hooks';
import type { KubeObject, Node, Pod, PodCondition } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { labelSelectorFromSpec, type LabelSelector, type LabelSelectorSpec } from '../api/selectors.js';
import { ApiClient, resourcePath } from '../client/client.js';
import { Informer } from '../client/informer.js';
import { KubeletEventRecorder, type EventSink } from '../kubelet/events.js';
import { podReference } from '../kubelet/types.js';
import { rfc3339, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { SchedulerCache } from './cache.js';
import { SchedulingAlgorithm } from './algorithm.js';
import { fitErrorMessage, type CycleState, type Framework, type Diagnosis, type Handle } from './framework.js';
import { Nominator } from './nominator.js';
import { newPodInfo, type PodInfo } from './podinfo.js';
import { DefaultPreemption, type PodDisruptionBudget } from './preemption.js';
import { SchedulingQueue, type ClusterEvent, type QueueOptions, type QueuedPodInfo } from './queue.js';
import { defaultProfile } from './profile.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const NODES = ApiClient.resourceOf('v1', 'Node');
const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const SERVICES = ApiClient.resourceOf('v1', 'Service');
const REPLICASETS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
const PDBS = ApiClient.resourceOf('policy/v1', 'PodDisruptionBudget');

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** How long scheduling cycles run back to back before the loop yields to the event loop. */
const CYCLE_SLICE_MS = 10;
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export interface SchedulerOptions {
  queue?: QueueOptions;
  /** Picks among equally scored nodes; defaults to Math.random (upstream picks at random). */
  random?: () => number;
}

const set = (...names: string[]) => new Set(names);
// The cluster events and the plugins whose rejections each may resolve (EventsToRegister).
const NODE_ADD: ClusterEvent = { label: 'NodeAdd', plugins: '*' };
const NODE_DELETE: ClusterEvent = { label: 'NodeDelete', plugins: set('PodTopologySpread') };
const ASSIGNED_POD_ADD: ClusterEvent = { label: 'AssignedPodAdd', plugins: set('InterPodAffinity', 'PodTopologySpread') };
const ASSIGNED_POD_UPDATE: ClusterEvent = { label: 'AssignedPodUpdate', plugins: set('InterPodAffinity', 'PodTopologySpread') };
const ASSIGNED_POD_DELETE: ClusterEvent = { label: 'AssignedPodDelete', plugins: set('NodeResourcesFit', 'NodePorts', 'VolumeRestrictions', 'InterPodAffinity', 'PodTopologySpread') };
const NAMESPACE_CHANGE: ClusterEvent = { label: 'NamespaceChange', plugins: set('InterPodAffinity') };

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** What a node update may resolve, by the plugins that look at the changed fields. */
function nodeUpdateEvent(old: Node, node: Node): ClusterEvent | undefined {
  const plugins = new Set<string>();
  if (!same(old.status?.allocatable, node.status?.allocatable)) plugins.add('NodeResourcesFit');
  if (!same(old.metadata.labels, node.metadata.labels)) ['NodeAffinity', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesFit'].forEach((p) => plugins.add(p));
  const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  if (!same(old.spec?.taints, node.spec?.taints) || ready(old) !== ready(node)) ['TaintToleration', 'PodTopologySpread'].forEach((p) => plugins.add(p));
  if (!!old.spec?.unschedulable !== !!node.spec?.unschedulable) plugins.add('NodeUnschedulable');
  if (!same(old.status?.images, node.status?.images)) plugins.add('ImageLocality');
  return plugins.size ? { label: 'NodeUpdate', plugins } : undefined;
}

export class Scheduler {
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly services: Informer<KubeObject>;
  private readonly replicaSets: Informer<KubeObject>;
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly recorder: KubeletEventRecorder;
  private readonly cache = new SchedulerCache();
  private readonly nominator = new Nominator();
  readonly queue: SchedulingQueue;
  private readonly framework: Framework;
  private readonly preemption: DefaultPreemption;
  private readonly algorithm: SchedulingAlgorithm;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private readonly binding = new Set<Promise<void>>();

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock,
    eventSink: EventSink,
    private readonly log: Logger,
    readonly schedulerName = DEFAULT_SCHEDULER_NAME,
    options: SchedulerOptions = {},
  ) {
    this.recorder = new KubeletEventRecorder({ sink: eventSink, clock, component: schedulerName, host: '' });
    this.queue = new SchedulingQueue(clock, options.queue);
    this.pods = new Informer<Pod>(client, PODS);
    this.nodes = new Informer<Node>(client, NODES);
    this.namespaces = new Informer<KubeObject>(client, NAMESPACES);
    this.services = new Informer<KubeObject>(client, SERVICES);
    this.replicaSets = new Informer<KubeObject>(client, REPLICASETS);
    this.pdbs = new Informer<PodDisruptionBudget>(client, PDBS);

    this.framework = defaultProfile(this.handle());
    this.algorithm = new SchedulingAlgorithm(this.framework, this.cache, this.nominator, options.random);
    this.preemption = new DefaultPreemption(this.framework, this.cache, this.nominator, () => this.pdbs.list());
    this.wireInformers();
  }

  async start(): Promise<void> {
    for (const i of [this.nodes, this.namespaces, this.services, this.replicaSets, this.pdbs, this.pods] as Informer<KubeObject>[]) i.start();
    await Promise.all([this.nodes.synced, this.pods.synced, this.namespaces.synced, this.services.synced, this.replicaSets.synced, this.pdbs.synced]);
    this.queue.run();
    this.loopDone = this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.queue.close();
    for (const i of [this.pods, this.nodes, this.namespaces, this.services, this.replicaSets, this.pdbs] as Informer<KubeObject>[]) i.stop();
  }

  /** Waits for the scheduling loop and in-flight bindings to finish after stop(). */
  async drained(): Promise<void> {
    await this.loopDone;
    await Promise.allSettled([...this.binding]);
  }

  private handle(): Handle {
    return {
      nodeInfos: () => this.cache.nodeInfos(),
      nodeInfo: (name) => this.cache.nodeInfo(name),
      namespaceLabels: (ns) => this.namespaces.get('', ns)?.metadata.labels,
      namespaces: () => this.namespaces.list().map((n) => ({ name: n.metadata.name!, labels: n.metadata.labels ?? {} })),
      imageState: (name) => this.cache.imageState(name),
      defaultSelector: (pod) => this.defaultSelector(pod),
    };
  }

  /** helper.DefaultSelector: the selectors of the Services and the owning ReplicaSet, merged. */
  private defaultSelector(pod: Pod): LabelSelector {
    const labels = pod.metadata.labels ?? {};
    const matchLabels: Record<string, string> = {};
    for (const svc of this.services.list()) {
      if (svc.metadata.namespace !== pod.metadata.namespace) continue;
      const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (!sel || !Object.keys(sel).length) continue;
      if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(matchLabels, sel);
    }
    const spec: LabelSelectorSpec = { matchLabels, matchExpressions: [] };
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
    if (owner?.kind === 'ReplicaSet' && owner.apiVersion === 'apps/v1') {
      const rs = this.replicaSets.get(pod.metadata.namespace ?? '', owner.name);
      const sel = (rs?.spec as { selector?: LabelSelectorSpec } | undefined)?.selector;
      if (sel) {
        Object.assign(matchLabels, sel.matchLabels ?? {});
        spec.matchExpressions!.push(...(sel.matchExpressions ?? []));
      }
    }
    try {
      return labelSelectorFromSpec(spec);
    } catch {
      return labelSelectorFromSpec({});
    }
  }

  private wants(pod: Pod): boolean {
    return (
      !pod.spec.nodeName &&
      !pod.metadata.deletionTimestamp &&
      !isTerminal(pod) &&
      (pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName &&
      !pod.spec.schedulingGates?.length
    );
  }

  private wireInformers(): void {
    this.pods.on({
      add: (pod) => this.onPod(pod, undefined),
      update: (pod, old) => this.onPod(pod, old),
      delete: (pod) => {
        const key = podKey(pod);
        this.queue.delete(key);
        this.nominator.remove(key);
        if (this.cache.removePod(key)) this.queue.onEvent(ASSIGNED_POD_DELETE);
      },
    });
    this.nodes.on({
      add: (node) => {
        this.cache.setNode(node);
        this.queue.onEvent(NODE_ADD);
      },
      update: (node, old) => {
        this.cache.setNode(node);
        const e = nodeUpdateEvent(old, node);
        if (e) this.queue.onEvent(e);
      },
      delete: (node) => {
        this.cache.removeNode(node.metadata.name!);
        this.queue.onEvent(NODE_DELETE);
      },
    });
    this.namespaces.on({
      add: () => this.queue.onEvent(NAMESPACE_CHANGE),
      update: (ns, old) => {
        if (!same(ns.metadata.labels, old.metadata.labels)) this.queue.onEvent(NAMESPACE_CHANGE);
      },
    });
  }

  private onPod(pod: Pod, old: Pod | undefined): void {
    const key = podKey(pod);
    if (pod.spec.nodeName) {
      this.queue.delete(key);
      this.nominator.remove(key);
      const wasCounted = this.cache.nodeOf(key) !== undefined;
      const pi = this.cache.setPod(pod);
      if (!pi) {
        // A pod that finished frees its node.
        if (wasCounted) this.queue.onEvent(ASSIGNED_POD_DELETE);
      } else if (!old?.spec.nodeName) {
        this.queue.onEvent(ASSIGNED_POD_ADD);
      } else if (!same(old.metadata.labels, pod.metadata.labels) || !!old.metadata.deletionTimestamp !== !!pod.metadata.deletionTimestamp) {
        this.queue.onEvent(ASSIGNED_POD_UPDATE);
      }
      return;
    }
    if (!this.wants(pod)) {
      this.queue.delete(key);
      this.nominator.remove(key);
      return;
    }
    const pi = newPodInfo(pod);
    this.nominator.observe(pi);
    const changed = !old || !same(old.spec, pod.spec) || !same(old.metadata.labels, pod.metadata.labels) || !same(old.metadata.annotations, pod.metadata.annotations);
    this.queue.addOrUpdate(pi, changed);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let q = await this.queue.pop();
      if (!q) break;
      // Cycles run back to back for a slice of time, then informer events and bindings get their turn:
      // yielding after every cycle would let each pod wait for a whole turn of a busy event loop.
      const sliceEnd = performance.now() + CYCLE_SLICE_MS;
      while (q && !this.stopped) {
        this.runCycle(q);
        q = performance.now() < sliceEnd ? this.queue.tryPop() : undefined;
      }
      if (this.stopped) break;
      await new Promise((r) => setImmediate(r));
    }
  }

  private runCycle(q: QueuedPodInfo): void {
    try {
      this.scheduleOne(q);
    } catch (err) {
      this.log.error('scheduling cycle failed', { pod: q.podInfo.key, error: (err as Error).stack ?? String(err) });
      this.queue.addUnschedulable(q, new Set(), true);
    }
  }

  /** One scheduling cycle for the pod at the head of the queue. */
  private scheduleOne(q: QueuedPodInfo): void {
    const pi = q.podInfo;
    const pod = pi.pod;
    if (!this.wants(pod) || this.cache.nodeOf(pi.key)) {
      this.queue.done(pi.key);
      return;
    }
    if (!this.cache.nodeInfos().length) {
      this.recordFailure(pi, 'SchedulerError', ERR_NO_NODES_AVAILABLE, undefined);
      this.queue.addUnschedulable(q, new Set(), true);
      return;
    }
    const result = this.algorithm.schedulePod(pi);
    if (!result.host) return this.failUnschedulable(q, result.state, result.diagnosis, result.numAllNodes);
    const host = result.host;
    this.cache.assume(pi, host);
    this.nominator.remove(pi.key);
    const binding = this.bind(q, host).finally(() => this.binding.delete(binding));
    this.binding.add(binding);
  }

  private failUnschedulable(q: QueuedPodInfo, state: CycleState, diagnosis: Diagnosis, numAllNodes: number): void {
    const pi = q.podInfo;
    const outcome = this.preemption.preempt(state, pi, diagnosis, numAllNodes);
    diagnosis.postFilterMsg = outcome.message;
    let nominated = outcome.nominatedNodeName;
    if (outcome.candidate) {
      nominated = outcome.candidate.node;
      this.nominator.set(pi, nominated);
      this.evict(pi, outcome.candidate.node, outcome.candidate.victims);
    } else if (nominated === '') {
      this.nominator.remove(pi.key);
    }
    this.recordFailure(pi, 'Unschedulable', fitErrorMessage(numAllNodes, diagnosis), nominated);
    this.queue.addUnschedulable(q, diagnosis.unschedulablePlugins);
  }

  /** prepareCandidate: DisruptionTarget condition, delete, Preempted event; lower nominees on the node lose their nomination. */
  private evict(preemptor: PodInfo, node: string, victims: PodInfo[]): void {
    for (const v of victims) {
      const victim = v.pod;
      const work = (async () => {
        const condition: PodCondition = {
          type: 'DisruptionTarget',
          status: 'True',
          lastTransitionTime: rfc3339(this.clock.now()),
          reason: 'PreemptionByScheduler',
          message: `${preemptor.pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod`,
        };
        try {
          await this.client.patch(PODS, victim.metadata.namespace!, victim.metadata.name!, { status: { conditions: [condition] } }, 'strategic', 'status');
          await this.client.delete(PODS, victim.metadata.namespace!, victim.metadata.name!);
          this.recorder.event(podReference(victim), 'Normal', 'Preempted', `Preempted by pod ${preemptor.pod.metadata.uid} on node ${node}`);
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 404)) this.log.warn('preemption failed', { victim: v.key, error: (err as Error).message });
        }
      })();
      const tracked = work.finally(() => this.binding.delete(tracked));
      this.binding.add(tracked);
    }
    for (const other of this.nominator.nominatedFor(node)) {
      if (other.key === preemptor.key || other.priority >= preemptor.priority) continue;
      this.nominator.remove(other.key);
      void this.client
        .patch(PODS, other.pod.metadata.namespace!, other.pod.metadata.name!, { status: { nominatedNodeName: null } }, 'merge', 'status')
        .catch(() => undefined);
    }
  }

  private async bind(q: QueuedPodInfo, nodeName: string): Promise<void> {
    const pod = q.podInfo.pod;
    try {
      await this.client.request('POST', `${resourcePath(PODS, pod.metadata.namespace, pod.metadata.name)}/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
        },
      });
      this.recorder.event(podReference(pod), 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`);
      this.queue.done(q.podInfo.key);
    } catch (err) {
      this.cache.forget(q.podInfo.key);
      this.queue.onEvent(ASSIGNED_POD_DELETE);
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) {
        this.queue.done(q.podInfo.key);
        return;
      }
      if (this.stopped) return;
      const message = (err as Error).message;
      this.log.warn('binding failed', { pod: q.podInfo.key, error: message });
      this.recordFailure(q.podInfo, 'SchedulerError', `running Bind plugin "DefaultBinder": ${message}`, undefined);
      this.queue.addUnschedulable(q, new Set(), true);
    }
  }

  /** The FailedScheduling event and the PodScheduled=False condition (with nominatedNodeName). */
  private recordFailure(pi: PodInfo, reason: 'Unschedulable' | 'SchedulerError', message: string, nominated: string | undefined): void {
    const pod = pi.pod;
    this.recorder.event(podReference(pod), 'Warning', 'FailedScheduling', message);
    const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nnnChanges = nominated !== undefined && (pod.status?.nominatedNodeName ?? '') !== nominated;
    if (existing?.status === 'False' && existing.reason === reason && existing.message === message && !nnnChanges) return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(this.clock.now()),
      reason,
      message,
    };
    void this.patchStatus(pod, condition, nnnChanges ? nominated : undefined).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.code === 404)) this.log.warn('status update failed', { pod: pi.key, error: (err as Error).message });
    });
  }

  /**
   * Writes the condition as the scheduler's Go client does, `lastProbeTime: null` included: a JSON
   * patch guarded by the resourceVersion we decided on (a strategic merge patch would drop the null),
   * falling back to a strategic merge patch if the pod moved on meanwhile.
   */
  private async patchStatus(pod: Pod, condition: PodCondition, nominated: string | undefined): Promise<void> {
    const conditions = pod.status?.conditions;
    const index = conditions?.findIndex((c) => c.type === 'PodScheduled') ?? -1;
    const ops: unknown[] = [{ op: 'test', path: '/metadata/resourceVersion', value: pod.metadata.resourceVersion }];
    if (!conditions) ops.push({ op: 'add', path: '/status/conditions', value: [condition] });
    else if (index < 0) ops.push({ op: 'add', path: '/status/conditions/-', value: condition });
    else ops.push({ op: 'replace', path: `/status/conditions/${index}`, value: condition });
    if (nominated) ops.push({ op: 'add', path: '/status/nominatedNodeName', value: nominated });
    else if (nominated === '' && pod.status?.nominatedNodeName) ops.push({ op: 'remove', path: '/status/nominatedNodeName' });
    try {
      await this.client.patch(PODS, pod.metadata.namespace!, pod.metadata.name!, ops, 'json', 'status');
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) throw err;
      const status: Record<string, unknown> = { conditions: [condition] };
      if (nominated !== undefined) status.nominatedNodeName = nominated || null;
      await this.client.patch(PODS, pod.metadata.namespace!, pod.metadata.name!, { status }, 'strategic', 'status');
    }
  }

  /** For tests and benchmarks: the node a pod is accounted on (bound or assumed). */
  nodeOf(namespace: string, name: string): string | undefined {
    return this.cache.nodeOf(`${namespace}/${name}`);
  }
}

