// Latest applied probe result per container instance and probe kind.

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure';
/** `unknown`: a startup probe that has not decided yet. */
export type StoredResult = ProbeResult | 'unknown';

/** `containerd://abc` and `abc` name the same instance. */
export function rawContainerId(id: string): string {
  const at = id.indexOf('://');
  return at >= 0 ? id.slice(at + 3) : id;
}

export class ProbeResults {
  private readonly byKind: Record<ProbeKind, Map<string, StoredResult>> = {
    liveness: new Map(),
    readiness: new Map(),
    startup: new Map(),
  };

  get(kind: ProbeKind, containerId: string): StoredResult | undefined {
    return this.byKind[kind].get(rawContainerId(containerId));
  }

  /** Returns whether the stored result changed. */
  set(kind: ProbeKind, containerId: string, result: StoredResult): boolean {
    const map = this.byKind[kind];
    const id = rawContainerId(containerId);
    if (map.get(id) === result) return false;
    map.set(id, result);
    return true;
  }

  remove(kind: ProbeKind, containerId: string): void {
    this.byKind[kind].delete(rawContainerId(containerId));
  }
}
