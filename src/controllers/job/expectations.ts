// What a controller expects to see from its own writes before trusting its informer again
// (client-go's ControllerExpectations and the Job controller's uid tracking): pod creations and
// deletions per owner, and finalizer removals per pod uid. Stale expectations expire after 5 min.

const EXPIRY_MS = 5 * 60_000;

interface Pending {
  adds: number;
  deletes: Set<string>;
  since: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();
  /** Pod uids whose finalizer removal is not yet seen, per owner key. */
  private readonly finalizers = new Map<string, Set<string>>();

  constructor(private readonly now: () => number) {}

  /** True when every expected event was seen (or the expectation expired). */
  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    if ((p.adds <= 0 && p.deletes.size === 0) || this.now() - p.since > EXPIRY_MS) {
      this.pending.delete(key);
      return true;
    }
    return false;
  }

  expectCreations(key: string, n: number): void {
    this.entry(key).adds += n;
  }

  expectDeletion(key: string, podUid: string): void {
    this.entry(key).deletes.add(podUid);
  }

  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p) p.adds--;
  }

  /** A creation that failed will never be observed. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionObserved(key: string, podUid: string): void {
    this.pending.get(key)?.deletes.delete(podUid);
  }

  expectFinalizerRemoval(key: string, podUid: string): void {
    let s = this.finalizers.get(key);
    if (!s) this.finalizers.set(key, (s = new Set()));
    s.add(podUid);
  }

  finalizerRemovalObserved(key: string, podUid: string): void {
    const s = this.finalizers.get(key);
    if (!s) return;
    s.delete(podUid);
    if (!s.size) this.finalizers.delete(key);
  }

  finalizerRemovalPending(key: string, podUid: string): boolean {
    return this.finalizers.get(key)?.has(podUid) ?? false;
  }

  forget(key: string): void {
    this.pending.delete(key);
    this.finalizers.delete(key);
  }

  private entry(key: string): Pending {
    let p = this.pending.get(key);
    if (!p || (p.adds <= 0 && p.deletes.size === 0)) this.pending.set(key, (p = { adds: 0, deletes: new Set(), since: this.now() }));
    return p;
  }
}
