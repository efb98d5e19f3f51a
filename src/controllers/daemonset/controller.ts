// The DaemonSet controller (pkg/controller/daemon): one pod per node that should run it, bound
// by required node affinity on metadata.name so that the scheduler places it; failed pods are
// replaced with back-off; surplus and misplaced pods are deleted; templates roll out by
// RollingUpdate or OnDelete, with a ControllerRevision per template.

import { isDeepStrictEqual } from 'node:util';
import { ApiError } from '../../api/errors.js';
import type { Node, Pod } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { claim } from '../shared/claim.js';
import { controllerRecorder, type Recorder } from '../shared/events.js';
import { Expectations } from '../shared/expectations.js';
import { CacheIndex, byController, byNamespace } from '../shared/index.js';
import { DAEMON_SETS, PODS, keyOf, splitKey, type WorkloadInformers } from '../shared/informers.js';
import { controllerRefOf, newControllerRef } from '../shared/owner.js';
import { isPodAvailable, isPodReady, msUntilAvailable, podFromTemplate, podKey } from '../shared/pods.js';
import { WorkQueue } from '../shared/queue.js';
import type { ControllerRevision, DaemonSet, PodTemplateSpec } from '../shared/types.js';
import { cleanupHistory, constructHistory, REVISION_HASH } from './history.js';
import { bindToNode, nodeShouldRunDaemonPod, targetNodeName } from './node-fit.js';
import { byCreationAndScheduling, daemonPodTemplate } from './pods.js';
import { calculateStatus, normalizeStatus } from './status.js';
import { planRollingUpdate } from './update.js';

export const BURST_REPLICAS = 250;
const FAILED_POD_BACKOFF_MS = 1000;
const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;

export interface DaemonSetControllerOptions {
  client: ApiClient;
  informers: WorkloadInformers;
  clock: Clock;
  log: Logger;
}

export class DaemonSetController {
  readonly expectations: Expectations;
  private readonly queue: WorkQueue;
  private readonly recorder: Recorder;
  private readonly podsByOwner: CacheIndex<Pod>;
  private readonly setsByNamespace: CacheIndex<DaemonSet>;
  private readonly revisionsByOwner: CacheIndex<ControllerRevision>;
  private readonly failedBackoff = new Map<string, { delay: number; until: number }>();
  private readonly client: ApiClient;
  private readonly informers: WorkloadInformers;
  private readonly clock: Clock;

  constructor(opts: DaemonSetControllerOptions) {
    this.client = opts.client;
    this.informers = opts.informers;
    this.clock = opts.clock;
    this.expectations = new Expectations(opts.clock);
    this.queue = new WorkQueue((key) => this.sync(key), { clock: opts.clock, log: opts.log });
    this.recorder = controllerRecorder(opts.client, opts.clock, 'daemonset-controller', 'apps/v1', 'DaemonSet');
    const { pods, daemonSets, nodes, revisions } = opts.informers;
    this.podsByOwner = new CacheIndex(pods, byController);
    this.setsByNamespace = new CacheIndex(daemonSets, byNamespace);
    this.revisionsByOwner = new CacheIndex(revisions, byController);
    daemonSets.on({
      add: (ds) => this.queue.add(keyOf(ds)),
      update: (ds) => this.queue.add(keyOf(ds)),
      delete: (ds) => {
        this.expectations.forget(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    nodes.on({
      add: () => this.enqueueAll(),
      update: (n, old) => nodeChanged(n, old) && this.enqueueAll(),
      delete: () => this.enqueueAll(),
    });
    pods.on({ add: (p) => this.podAdded(p), update: (p, old) => this.podUpdated(p, old), delete: (p) => this.podDeleted(p) });
    const revisionChanged = (r: ControllerRevision) => {
      const ds = this.owner(r);
      if (ds) this.queue.add(keyOf(ds));
    };
    revisions.on({ add: revisionChanged, update: revisionChanged, delete: revisionChanged });
  }

  start(): void {
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
  }

  // ---- event handlers ----------------------------------------------------------------------------

  private enqueueAll(): void {
    for (const ds of this.informers.daemonSets.list()) this.queue.add(keyOf(ds));
  }

  private owner(obj: Pod | ControllerRevision): DaemonSet | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.informers.daemonSets.get(obj.metadata.namespace!, ref.name);
    return ds?.metadata.uid === ref.uid ? ds : undefined;
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const ds = this.owner(pod);
    if (ds) {
      this.expectations.creationObserved(keyOf(ds));
      return this.queue.add(keyOf(ds));
    }
    if (controllerRefOf(pod)) return;
    for (const s of this.setsByNamespace.get(pod.metadata.namespace!)) {
      if (labelSelectorFromSpec(s.spec.selector).matches(pod.metadata.labels)) this.queue.add(keyOf(s));
    }
  }

  private podUpdated(pod: Pod, old: Pod): void {
    if (pod.metadata.resourceVersion === old.metadata.resourceVersion) return;
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const oldOwner = this.owner(old);
    const ds = this.owner(pod);
    if (oldOwner && oldOwner !== ds) this.queue.add(keyOf(oldOwner));
    if (ds) return this.queue.add(keyOf(ds));
    this.podAdded(pod);
  }

  private podDeleted(pod: Pod): void {
    const ds = this.owner(pod);
    if (!ds) return;
    this.expectations.deletionObserved(keyOf(ds), podKey(pod));
    this.queue.add(keyOf(ds));
  }

  // ---- sync --------------------------------------------------------------------------------------

  private async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const ds = this.informers.daemonSets.get(namespace, name);
    if (!ds) {
      this.expectations.forget(key);
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    if (isDeepStrictEqual(ds.spec.selector ?? {}, {})) {
      this.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const nodes = this.informers.nodes.list();
    const revisions = [...this.revisionsByOwner.get(`uid:${ds.metadata.uid}`), ...this.revisionsByOwner.get(`orphan:${namespace}`)];
    const { old, hash } = await constructHistory(this.client, ds, revisions);
    if (!this.expectations.satisfied(key)) return this.writeStatus(ds, nodes, hash, false);

    let nodePods = await this.nodesToPods(ds);
    await this.manage(ds, nodes, nodePods, hash);
    if (this.expectations.satisfied(key) && (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      nodePods = await this.nodesToPods(ds);
      const plan = planRollingUpdate(ds, nodes, nodePods, hash, this.clock.now());
      await this.syncNodes(ds, plan.deletePods, plan.createOn, hash);
    }
    await cleanupHistory(this.client, ds, old, this.ownedPods(ds));
    await this.writeStatus(ds, nodes, hash, true);
  }

  private ownedPods(ds: DaemonSet): Pod[] {
    return this.podsByOwner.get(`uid:${ds.metadata.uid}`);
  }

  /** Claimed pods by the node each is for, leaving out terminal pods already being deleted. */
  private async nodesToPods(ds: DaemonSet): Promise<Map<string, Pod[]>> {
    const candidates = [...this.ownedPods(ds), ...this.podsByOwner.get(`orphan:${ds.metadata.namespace}`)];
    const pods = await claim({
      client: this.client,
      owner: ds,
      ownerRef: newControllerRef(ds, 'apps/v1', 'DaemonSet'),
      ownerInfo: DAEMON_SETS,
      info: PODS,
      selector: labelSelectorFromSpec(ds.spec.selector),
      candidates,
    });
    const out = new Map<string, Pod[]>();
    for (const pod of pods) addByNode(out, pod);
    return out;
  }

  private async manage(ds: DaemonSet, nodes: Node[], nodePods: Map<string, Pod[]>, hash: string): Promise<void> {
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const surge = (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && isSurging(ds);
    const now = this.clock.now();
    for (const node of nodes) {
      const nodeName = node.metadata.name!;
      const pods = nodePods.get(nodeName) ?? [];
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds.spec.template.spec, node);
      if (shouldRun && !pods.length) {
        toCreate.push(nodeName);
      } else if (shouldContinueRunning) {
        const running: Pod[] = [];
        for (const pod of pods) {
          if (pod.metadata.deletionTimestamp) continue;
          if (pod.status?.phase === 'Failed') {
            const backoffKey = `${ds.metadata.uid}/${nodeName}`;
            const b = this.failedBackoff.get(backoffKey);
            if (b && b.until > now) {
              this.queue.addAfter(keyOf(ds), b.until - now + 1);
              continue;
            }
            const delay = b ? Math.min(b.delay * 2, FAILED_POD_BACKOFF_MAX_MS) : FAILED_POD_BACKOFF_MS;
            this.failedBackoff.set(backoffKey, { delay, until: now + delay });
            this.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`);
            toDelete.push(pod);
          } else if (pod.status?.phase === 'Succeeded') {
            toDelete.push(pod);
          } else running.push(pod);
        }
        if (running.length <= 1) continue;
        running.sort(byCreationAndScheduling);
        if (!surge) {
          toDelete.push(...running.slice(1));
          continue;
        }
        // With surge two pods may share a node: the oldest up-to-date one, and the oldest old one
        // while the new one is not yet available.
        let oldestNew: Pod | undefined;
        let oldestOld: Pod | undefined;
        for (const pod of running) {
          if (pod.metadata.labels?.[REVISION_HASH] === hash) {
            if (!oldestNew) {
              oldestNew = pod;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          toDelete.push(pod);
        }
        if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))) toDelete.push(oldestOld);
      } else if (pods.length) {
        toDelete.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
      }
    }
    // Pods for nodes that no longer exist and never got scheduled.
    const present = new Set(nodes.map((n) => n.metadata.name!));
    for (const [nodeName, pods] of nodePods) {
      if (!present.has(nodeName)) toDelete.push(...pods.filter((p) => !p.spec.nodeName && !p.metadata.deletionTimestamp));
    }
    await this.syncNodes(ds, toDelete, toCreate, hash);
  }

  /** Creates pods for `nodes` in slow-start batches and deletes `pods`, under expectations. */
  private async syncNodes(ds: DaemonSet, pods: Pod[], nodes: string[], hash: string): Promise<void> {
    const key = keyOf(ds);
    const creates = nodes.slice(0, BURST_REPLICAS);
    const deletes = pods.slice(0, BURST_REPLICAS);
    if (!creates.length && !deletes.length) return;
    this.expectations.expect(key, creates.length, deletes.map(podKey));
    const template = daemonPodTemplate(ds, hash);
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const errors: unknown[] = [];
    let pos = 0;
    for (let batch = Math.min(creates.length, 1); pos < creates.length; batch = Math.min(2 * batch, creates.length - pos)) {
      const before = errors.length;
      await Promise.all(creates.slice(pos, pos + batch).map((node) => this.createPod(ds, template, node, ref).catch((e) => void errors.push(e))));
      pos += batch;
      if (errors.length > before) {
        for (let i = pos; i < creates.length; i++) this.expectations.creationObserved(key);
        break;
      }
    }
    await Promise.all(deletes.map((pod) => this.deletePod(ds, pod).catch((e) => void errors.push(e))));
    if (errors.length) throw errors[0];
  }

  private async createPod(ds: DaemonSet, template: PodTemplateSpec, nodeName: string, ref: ReturnType<typeof newControllerRef>): Promise<void> {
    const t = structuredClone(template);
    t.spec.affinity = bindToNode(t.spec.affinity, nodeName);
    const pod = podFromTemplate(t, ds.metadata.namespace!, `${ds.metadata.name}-`, ref);
    try {
      const created = await this.client.create<Pod>(PODS, ds.metadata.namespace!, pod);
      this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      this.expectations.creationObserved(keyOf(ds));
      if (err instanceof ApiError && JSON.stringify(err.status.details ?? {}).includes('NamespaceTerminating')) return;
      this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  private async deletePod(ds: DaemonSet, pod: Pod): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace!, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
      this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      this.expectations.deletionObserved(keyOf(ds), podKey(pod));
      if (err instanceof ApiError && err.code === 404) return;
      this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }

  private async writeStatus(ds: DaemonSet, nodes: Node[], hash: string, observe: boolean): Promise<void> {
    const status = calculateStatus(ds, nodes, this.statusPods(ds), hash, this.clock.now());
    if (observe) status.observedGeneration = ds.metadata.generation;
    if (!isDeepStrictEqual(status, normalizeStatus(ds.status))) {
      try {
        await this.client.update(DAEMON_SETS, { ...ds, status }, 'status');
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 409)) throw err;
        const fresh = await this.client.get<DaemonSet>(DAEMON_SETS, ds.metadata.namespace!, ds.metadata.name!);
        await this.client.update(DAEMON_SETS, { ...fresh, status: { ...status, collisionCount: fresh.status?.collisionCount } }, 'status');
      }
    }
    // No event reports a pod becoming available: look again when the next one will be.
    const due = msUntilAvailable(this.ownedPods(ds), ds.spec.minReadySeconds ?? 0, this.clock.now());
    if (due !== undefined) this.queue.addAfter(keyOf(ds), due + 100);
  }

  /** Owned pods by target node, from the cache: what the status counts. */
  private statusPods(ds: DaemonSet): Map<string, Pod[]> {
    const out = new Map<string, Pod[]>();
    const selector = labelSelectorFromSpec(ds.spec.selector);
    for (const pod of this.ownedPods(ds)) {
      if (!selector.matches(pod.metadata.labels)) continue;
      addByNode(out, pod);
    }
    return out;
  }
}

/** Groups a daemon pod under its target node; terminal pods already being deleted are left out. */
function addByNode(out: Map<string, Pod[]>, pod: Pod): void {
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (terminal && pod.metadata.deletionTimestamp) return;
  const node = targetNodeName(pod.spec);
  if (!node) return;
  let list = out.get(node);
  if (!list) out.set(node, (list = []));
  list.push(pod);
}

function isSurging(ds: DaemonSet): boolean {
  const surge = ds.spec.updateStrategy?.rollingUpdate?.maxSurge;
  return surge !== undefined && surge !== 0 && surge !== '0%' && surge !== '0';
}

/** Node changes that can change where daemon pods belong. */
function nodeChanged(n: Node, old: Node): boolean {
  const ready = (x: Node) => x.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    !isDeepStrictEqual(n.metadata.labels ?? {}, old.metadata.labels ?? {}) ||
    !isDeepStrictEqual(n.spec?.taints ?? [], old.spec?.taints ?? []) ||
    !!n.spec?.unschedulable !== !!old.spec?.unschedulable ||
    ready(n) !== ready(old)
  );
}
