// What the container runtime says about itself, checked every 5 s as the kubelet's updateRuntimeUp
// does: its RuntimeReady and NetworkReady conditions, and when it last answered. The node's Ready
// condition is False while `notReadyMessage()` says why (the kubelet's runtimeErrors and
// networkErrors, joined as its error aggregate joins them).

import { NETWORK_READY, RUNTIME_READY, type Runtime, type RuntimeCondition } from '../runtime/types.js';
import type { Clock, Timer } from '../util/clock.js';

export const RUNTIME_STATUS_PERIOD_MS = 5_000;
/** A runtime that has not answered Status for this long is down. */
export const RUNTIME_DOWN_AFTER_MS = 2 * 60_000;

/** As the kubelet prints a condition: `Type=bool reason:R message:M`, or `<nil>` when it is missing. */
function describe(condition: RuntimeCondition | undefined): string {
  return condition ? `${condition.type}=${condition.status} reason:${condition.reason} message:${condition.message}` : '<nil>';
}

export class RuntimeHealth {
  private lastSync: number | undefined;
  private runtimeError: string | undefined;
  private networkError: string | undefined;
  private timer: Timer | undefined;
  private stopped = false;
  private answering = true;

  constructor(
    private readonly runtime: Runtime,
    private readonly clock: Clock,
    private readonly onError?: (err: unknown) => void,
  ) {}

  /** Checks once now, then every period. */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One Status call. A runtime that does not answer leaves what it said last in place (reported once). */
  async check(): Promise<void> {
    let conditions: RuntimeCondition[];
    try {
      conditions = await this.runtime.status();
    } catch (err) {
      if (this.answering) this.onError?.(err);
      this.answering = false;
      return;
    }
    this.answering = true;
    const network = conditions.find((c) => c.type === NETWORK_READY);
    this.networkError = network?.status ? undefined : `container runtime network not ready: ${describe(network)}`;
    const runtime = conditions.find((c) => c.type === RUNTIME_READY);
    if (!runtime?.status) {
      this.runtimeError = `container runtime not ready: ${describe(runtime)}`;
      return;
    }
    this.runtimeError = undefined;
    this.lastSync = this.clock.now();
  }

  /** Why the node is not ready, or undefined when the runtime and its network are. */
  notReadyMessage(): string | undefined {
    const errors: string[] = [];
    if (this.lastSync === undefined) errors.push('container runtime status check may not have completed yet');
    else if (this.lastSync + RUNTIME_DOWN_AFTER_MS <= this.clock.now()) errors.push('container runtime is down');
    if (this.runtimeError) errors.push(this.runtimeError);
    if (this.networkError) errors.push(this.networkError);
    const distinct = [...new Set(errors)];
    if (distinct.length === 0) return undefined;
    return distinct.length === 1 ? distinct[0] : `[${distinct.join(', ')}]`;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.check().finally(() => this.schedule()), RUNTIME_STATUS_PERIOD_MS);
  }
}
