// Leader election with the semantics of client-go's leaderelection package: a candidate takes the
// record when it is free or has expired, where expiry is judged by the candidate's own clock since
// it last saw the record change (never by comparing clocks across machines); the leader renews
// every retry period and gives up leading when no renewal succeeds within the renew deadline.

import type { Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { isNotFound, type ElectionRecord, type ResourceLock } from './lease-lock.js';

/** client-go's defaults, which kube-scheduler and kube-controller-manager keep. */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Retries while acquiring wait the retry period plus up to this fraction more, at random. */
export const JITTER_FACTOR = 1.2;

export interface LeaderCallbacks {
  /** Leading began; `signal` aborts when it ends. Runs beside the renew loop, never blocking it. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /**
   * Leading ended (or never began before the run was stopped). Awaited before a release; it may
   * come while onStartedLeading is still running (work that cannot start, the API unreachable).
   */
  onStoppedLeading(): void | Promise<void>;
  /** The observed holder changed (an empty string: no holder). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionConfig {
  lock: ResourceLock;
  clock: Clock;
  callbacks: LeaderCallbacks;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Give up the lease when the run is stopped, so a standby takes it at its next try. */
  releaseOnCancel?: boolean;
  /** The source of jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  log?: Logger;
}

export class LeaderElectionConfigError extends Error {}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly random: () => number;
  private readonly log: Logger;
  private observedRecord: ElectionRecord | undefined;
  private observedRaw = '';
  private observedTime = 0;
  private reportedLeader = '';
  private firstAttemptDone!: (leading: boolean) => void;
  /** Resolves after the first try with whether it won: a free lease is taken at once. */
  readonly firstAttempt: Promise<boolean>;

  constructor(private readonly config: LeaderElectionConfig) {
    this.leaseDurationMs = config.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = config.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = config.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new LeaderElectionConfigError('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new LeaderElectionConfigError('renewDeadline must be greater than retryPeriod*JitterFactor');
    if (this.leaseDurationMs < 1000 || this.retryPeriodMs <= 0) throw new LeaderElectionConfigError('leaseDuration must be at least 1s and retryPeriod greater than zero');
    this.random = config.random ?? Math.random;
    this.log = config.log ?? silentLogger;
    this.firstAttempt = new Promise((resolve) => (this.firstAttemptDone = resolve));
  }

  get identity(): string {
    return this.config.lock.identity;
  }

  isLeader(): boolean {
    return this.observedRecord?.holderIdentity === this.identity;
  }

  /** The holder as last observed ('' when none). */
  leader(): string {
    return this.observedRecord?.holderIdentity ?? '';
  }

  /**
   * Campaigns until leading, leads until a renewal fails or `signal` aborts, then returns (after
   * releasing the lease when configured to). Call again to campaign again.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { callbacks, lock } = this.config;
    let leading: AbortController | undefined;
    try {
      if (!(await this.acquire(signal))) return;
      lock.recordEvent('became leader');
      this.log.info('successfully acquired lease', { lease: lock.describe() });
      leading = new AbortController();
      const leadingSignal = leading.signal;
      // A term whose work cannot start ends at once, so that the lease goes to a candidate that can.
      const failedStart = new AbortController();
      void (async () => callbacks.onStartedLeading(leadingSignal))().catch((err: unknown) => {
        this.log.error('starting to lead failed: giving up the lease', { lease: lock.describe(), error: (err as Error).message });
        failedStart.abort();
      });
      await this.renew(AbortSignal.any([signal, failedStart.signal]));
      lock.recordEvent('stopped leading');
      if (!signal.aborted && !failedStart.signal.aborted) this.log.info('failed to renew lease', { lease: lock.describe() });
    } finally {
      leading?.abort();
      await callbacks.onStoppedLeading();
      if (leading && this.config.releaseOnCancel) await this.release();
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    let first = true;
    while (!signal.aborted) {
      const won = await this.tryAcquireOrRenew(signal);
      this.reportTransition();
      if (first) {
        first = false;
        this.firstAttemptDone(won);
      }
      if (won) return true;
      const wait = this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
      if (!(await this.sleep(wait, signal))) break;
    }
    if (first) this.firstAttemptDone(false);
    return false;
  }

  /** Returns when a renewal round fails to succeed within the renew deadline, or on abort. */
  private async renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const round = new AbortController();
      const abortRound = () => round.abort();
      signal.addEventListener('abort', abortRound, { once: true });
      const deadline = this.config.clock.setTimeout(abortRound, this.renewDeadlineMs);
      let renewed = false;
      try {
        while (!round.signal.aborted) {
          renewed = await this.tryAcquireOrRenew(round.signal);
          if (renewed || !(await this.sleep(this.retryPeriodMs, round.signal))) break;
        }
      } finally {
        deadline.cancel();
        signal.removeEventListener('abort', abortRound);
      }
      this.reportTransition();
      if (!renewed || signal.aborted) return;
      if (!(await this.sleep(this.retryPeriodMs, signal))) return;
    }
  }

  private async release(): Promise<void> {
    if (!this.isLeader()) return;
    const now = this.config.clock.now();
    const record: ElectionRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaderTransitions: this.observedRecord!.leaderTransitions };
    try {
      await this.config.lock.update(record);
      this.setObserved(record);
    } catch (err) {
      this.log.error('failed to release lock', { lease: this.config.lock.describe(), error: (err as Error).message });
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { lock, clock } = this.config;
    const now = clock.now();
    const record: ElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.floor(this.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaderTransitions: 0,
    };

    // The leader first writes over the version it saw last, saving a read when nothing changed.
    if (this.isLeader() && this.isLeaseValid(now)) {
      record.acquireTime = this.observedRecord!.acquireTime;
      record.leaderTransitions = this.observedRecord!.leaderTransitions;
      try {
        await lock.update(record, signal);
        this.setObserved(record);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.log.warn('failed to update lock optimistically, falling back to a read', { lease: lock.describe(), error: (err as Error).message });
      }
    }

    let current: { record: ElectionRecord; raw: string };
    try {
      current = await lock.get(signal);
    } catch (err) {
      if (!isNotFound(err)) {
        if (!signal.aborted) this.log.warn('error retrieving resource lock', { lease: lock.describe(), error: (err as Error).message });
        return false;
      }
      try {
        await lock.create(record, signal);
      } catch (createErr) {
        if (!signal.aborted) this.log.warn('error initially creating leader election record', { lease: lock.describe(), error: (createErr as Error).message });
        return false;
      }
      this.setObserved(record);
      return true;
    }

    if (current.raw !== this.observedRaw) {
      this.setObserved(current.record);
      this.observedRaw = current.raw;
    }
    if (current.record.holderIdentity && this.isLeaseValid(now) && !this.isLeader()) return false;

    if (this.isLeader()) {
      record.acquireTime = current.record.acquireTime;
      record.leaderTransitions = current.record.leaderTransitions;
    } else {
      record.leaderTransitions = current.record.leaderTransitions + 1;
    }
    try {
      await lock.update(record, signal);
    } catch (err) {
      if (!signal.aborted) this.log.warn('failed to update lock', { lease: lock.describe(), error: (err as Error).message });
      return false;
    }
    this.setObserved(record);
    return true;
  }

  private isLeaseValid(now: number): boolean {
    return this.observedTime + (this.observedRecord?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  private setObserved(record: ElectionRecord): void {
    this.observedRecord = record;
    this.observedTime = this.config.clock.now();
  }

  private reportTransition(): void {
    const holder = this.leader();
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    this.config.callbacks.onNewLeader?.(holder);
  }

  /** Sleeps on the injected clock; false when aborted first. */
  private async sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.config.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }
}
