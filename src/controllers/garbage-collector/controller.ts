// The garbage collector (pkg/controller/garbagecollector): watches every served kind, keeps the
// owner/dependent graph, and
// - deletes dependents whose owners are all gone (or never existed), with the propagation their own
//   finalizers ask for;
// - foreground deletion: an owner with the foregroundDeletion finalizer has its dependents deleted
//   and loses the finalizer once no dependent with blockOwnerDeletion is left;
// - orphaning: an owner with the orphan finalizer has its reference removed from every dependent,
//   then loses the finalizer;
// - removes references to absent owners from dependents that still have a live owner.

import type { KubeObject, OwnerReference } from '../../api/types.js';
import { resources, findKind, type ResourceInfo } from '../../api/resources.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { WorkQueue } from '../shared/queue.js';
import { DependencyGraph, type GraphNode } from './graph.js';

/** The kinds the collector watches: everything served but events (upstream's DefaultIgnoredResources). */
export const collectedResources = resources.filter((r) => r.verbs.includes('delete') && r.verbs.includes('watch') && r.resource !== 'events');

/** Absent owners remembered (the collector's absentOwnerCache holds 500; more saves lookups here). */
const ABSENT_CACHE_SIZE = 10_000;

type OwnerState = 'solid' | 'dangling' | 'waiting';

export interface GarbageCollectorOptions {
  client: ApiClient;
  clock: Clock;
  log: Logger;
  /** Informers to share with other controllers, by resource (others are created here). */
  shared?: Informer[];
  workers?: number;
}

export class GarbageCollector {
  readonly graph = new DependencyGraph();
  private readonly informers: Informer[] = [];
  private readonly queue: WorkQueue;
  /** Owners verified absent (uid), so that many dependents of one absent owner cost one lookup. */
  private readonly absent = new Set<string>();
  private synced = false;
  /** Informers another controller owns (started and stopped there). */
  private readonly shared = new Set<Informer>();
  private readonly client: ApiClient;
  private readonly log: Logger;

  constructor(opts: GarbageCollectorOptions) {
    this.client = opts.client;
    this.log = opts.log;
    this.queue = new WorkQueue((uid) => this.process(uid), { clock: opts.clock, log: opts.log, workers: opts.workers ?? 8 });
    for (const info of collectedResources) {
      const shared = opts.shared?.find((i) => i.info === info);
      const informer = shared ?? new Informer(opts.client, info);
      if (shared) this.shared.add(shared);
      informer.on({
        add: (o) => this.observe(info, o),
        update: (o) => this.observe(info, o),
        delete: (o) => this.forget(o),
      });
      this.informers.push(informer);
    }
  }

  async start(): Promise<void> {
    for (const i of this.informers) if (!this.shared.has(i)) i.start();
    await Promise.all(this.informers.map((i) => i.synced));
    for (const i of this.informers) for (const o of i.list()) this.observe(i.info, o);
    this.synced = true;
    for (const node of this.graph.nodes.values()) if (node.owners.length || node.beingDeleted) this.queue.add(node.uid);
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    for (const i of this.informers) if (!this.shared.has(i)) i.stop();
  }

  /** Resolves when the collector has nothing to do. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private observe(info: ResourceInfo, obj: KubeObject): void {
    if (!obj.metadata.uid) return;
    const { node, ownersChanged, previous } = this.graph.upsert(info, obj);
    if (!this.synced) return;
    this.absent.delete(node.uid);
    if (node.owners.length && ownersChanged) this.queue.add(node.uid);
    const startedDeleting = node.beingDeleted && !previous?.beingDeleted;
    if (node.deletingDependents || node.orphaning) this.queue.add(node.uid);
    if (startedDeleting || (node.deletingDependents && !previous?.deletingDependents)) for (const d of this.graph.dependents(node.uid)) this.queue.add(d.uid);
    // A dependent that let go of an owner waiting for it, or started its own deletion, may free it.
    if (previous) {
      const released = previous.owners.filter((o) => !node.owners.some((n) => n.uid === o.uid));
      const watchers = startedDeleting ? node.owners : released;
      for (const o of watchers) if (this.graph.nodes.get(o.uid)?.deletingDependents) this.queue.add(o.uid);
    }
  }

  private forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.graph.remove(uid);
    if (!this.synced) return;
    this.markAbsent(uid);
    for (const d of this.graph.dependents(uid)) this.queue.add(d.uid);
    // An owner waiting for its dependents may now be free.
    for (const o of node?.owners ?? []) {
      const owner = this.graph.nodes.get(o.uid);
      if (owner?.deletingDependents) this.queue.add(owner.uid);
    }
  }

  private async process(uid: string): Promise<void> {
    const node = this.graph.nodes.get(uid);
    if (!node) return;
    if (node.orphaning) await this.orphanDependents(node);
    else if (node.deletingDependents) await this.deleteDependentsFirst(node);
    if (node.owners.length && !node.beingDeleted) await this.attemptToDelete(node);
    else if (node.owners.length && node.beingDeleted) {
      // Already going; if an owner is being foreground-deleted, it waits for this one: nothing to do.
    }
  }

  // ---- dependents ---------------------------------------------------------------------------------

  private async attemptToDelete(node: GraphNode): Promise<void> {
    const states = await Promise.all(node.owners.map(async (ref) => [ref, await this.ownerState(node, ref)] as const));
    const solid = states.filter(([, s]) => s === 'solid');
    const dangling = states.filter(([, s]) => s === 'dangling').map(([r]) => r);
    const waiting = states.filter(([, s]) => s === 'waiting').map(([r]) => r);
    if (solid.length) {
      // A live owner keeps the object; references to absent or departing owners go.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      if (drop.size) await this.removeOwnerReferences(node, drop);
      return;
    }
    let policy: 'Foreground' | 'Background' | 'Orphan' = 'Background';
    const current = this.objectOf(node);
    if (!current) return;
    const finalizers = current.metadata.finalizers ?? [];
    if (waiting.length && this.graph.dependents(node.uid).length) policy = 'Foreground';
    else if (finalizers.includes('orphan')) policy = 'Orphan';
    else if (finalizers.includes('foregroundDeletion')) policy = 'Foreground';
    await this.deleteObject(node, policy);
  }

  /** Is the owner there (solid), gone (dangling), or being deleted in the foreground (waiting)? */
  private async ownerState(node: GraphNode, ref: OwnerReference): Promise<OwnerState> {
    const owner = this.graph.nodes.get(ref.uid);
    if (owner) return owner.deletingDependents ? 'waiting' : 'solid';
    if (this.absent.has(ref.uid)) return 'dangling';
    const info = findKind(ref.apiVersion, ref.kind);
    if (!info) return 'solid'; // a kind this server does not serve: never collect on a guess
    if (info.namespaced && !node.namespace) return 'dangling';
    try {
      const found = await this.client.get(info, info.namespaced ? node.namespace : '', ref.name);
      if (found.metadata.uid !== ref.uid) {
        this.markAbsent(ref.uid);
        return 'dangling';
      }
      const finalizers = found.metadata.finalizers ?? [];
      return found.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion') ? 'waiting' : 'solid';
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) {
        this.markAbsent(ref.uid);
        return 'dangling';
      }
      throw err;
    }
  }

  /** Remembers an absent owner, forgetting the oldest beyond ABSENT_CACHE_SIZE (as upstream's LRU). */
  private markAbsent(uid: string): void {
    this.absent.delete(uid);
    this.absent.add(uid);
    if (this.absent.size > ABSENT_CACHE_SIZE) this.absent.delete(this.absent.values().next().value!);
  }

  // ---- owners being deleted -------------------------------------------------------------------------

  private async deleteDependentsFirst(owner: GraphNode): Promise<void> {
    const blocking = this.graph.dependents(owner.uid).filter((d) => d.owners.some((o) => o.uid === owner.uid && o.blockOwnerDeletion));
    if (!blocking.length) {
      await this.removeFinalizer(owner, 'foregroundDeletion');
      return;
    }
    for (const d of blocking) if (!d.beingDeleted) this.queue.add(d.uid);
  }

  private async orphanDependents(owner: GraphNode): Promise<void> {
    for (const d of this.graph.dependents(owner.uid)) await this.removeOwnerReferences(d, new Set([owner.uid]));
    await this.removeFinalizer(owner, 'orphan');
  }

  // ---- writes -------------------------------------------------------------------------------------

  private objectOf(node: GraphNode): KubeObject | undefined {
    const informer = this.informers.find((i) => i.info === node.info);
    const obj = informer?.get(node.namespace, node.name);
    return obj && obj.metadata.uid === node.uid ? obj : undefined;
  }

  private async fresh(node: GraphNode): Promise<KubeObject | undefined> {
    try {
      const obj = await this.client.get(node.info, node.namespace, node.name);
      return obj.metadata.uid === node.uid ? obj : undefined;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  private async deleteObject(node: GraphNode, propagationPolicy: 'Foreground' | 'Background' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(node.info, node.namespace, node.name, { propagationPolicy, preconditions: { uid: node.uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }

  /** Patches the owner references away, guarded by the resourceVersion; retried on conflicts. */
  private async removeOwnerReferences(node: GraphNode, owners: Set<string>): Promise<void> {
    await this.guardedPatch(node, (obj) => {
      const refs = obj.metadata.ownerReferences ?? [];
      const kept = refs.filter((r) => !owners.has(r.uid));
      if (kept.length === refs.length) return undefined;
      return { ownerReferences: kept.length ? kept : null };
    });
  }

  private async removeFinalizer(node: GraphNode, finalizer: string): Promise<void> {
    await this.guardedPatch(node, (obj) => {
      const list = obj.metadata.finalizers ?? [];
      if (!list.includes(finalizer)) return undefined;
      const kept = list.filter((f) => f !== finalizer);
      return { finalizers: kept.length ? kept : null };
    });
  }

  private async guardedPatch(node: GraphNode, change: (obj: KubeObject) => Record<string, unknown> | undefined): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const obj = attempt === 0 ? this.objectOf(node) ?? (await this.fresh(node)) : await this.fresh(node);
      if (!obj) return;
      const metadata = change(obj);
      if (!metadata) return;
      try {
        await this.client.patch(node.info, node.namespace, node.name, { metadata: { ...metadata, uid: node.uid, resourceVersion: obj.metadata.resourceVersion } }, 'merge');
        return;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return;
        if (err instanceof ApiError && err.code === 409) continue;
        throw err;
      }
    }
    this.log.warn('could not update object after conflicts', { kind: node.info.kind, namespace: node.namespace, name: node.name });
    throw new Error(`conflicts updating ${node.info.kind} ${node.namespace}/${node.name}`);
  }
}
