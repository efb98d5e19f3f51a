// Shutdown order of a pod with sidecars: every container is told to stop at once, but a sidecar
// only gets its stop signal after all regular containers and the sidecars declared after it have
// exited (bounded by its own remaining grace), so sidecars stop in reverse order, last.

import type { Pod } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { isSidecar } from './pod-util.js';

interface Gate {
  done: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

export class TerminationOrdering {
  private readonly terminated = new Map<string, Gate>();
  private readonly prerequisites = new Map<string, Promise<void>[]>();

  constructor(
    pod: Pod,
    running: ReadonlySet<string>,
    private readonly clock: Clock,
  ) {
    const mains: Promise<void>[] = [];
    const register = (name: string) => {
      const g = gate();
      if (!running.has(name)) g.open();
      this.terminated.set(name, g);
      return g;
    };
    for (const c of pod.spec.containers) mains.push(register(c.name).done);
    let later: Gate | undefined;
    const init = pod.spec.initContainers ?? [];
    for (let i = init.length - 1; i >= 0; i--) {
      const c = init[i]!;
      const g = register(c.name);
      if (!isSidecar(c)) continue;
      this.prerequisites.set(c.name, later ? [...mains, later.done] : [...mains]);
      later = g;
    }
  }

  /** Waits until the container may be stopped, at most `graceSeconds`; resolves with the seconds waited. */
  async waitForTurn(name: string, graceSeconds: number): Promise<number> {
    const prerequisites = this.prerequisites.get(name);
    if (!prerequisites || prerequisites.length === 0) return 0;
    const start = this.clock.now();
    const timeout = new AbortController();
    await Promise.race([
      Promise.all(prerequisites),
      this.clock.sleep(graceSeconds * 1000, timeout.signal).catch(() => undefined),
    ]);
    timeout.abort();
    return (this.clock.now() - start) / 1000;
  }

  containerTerminated(name: string): void {
    this.terminated.get(name)?.open();
  }
}
