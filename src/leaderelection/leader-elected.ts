// A component that runs only while its process holds the component's Lease: started on winning,
// stopped on losing (a failed renewal), and campaigning again afterwards, until stopped for good.

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ApiClient } from '../client/client.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { DEFAULT_RETRY_PERIOD_MS, LeaderElector, type LeaderElectionConfig } from './elector.js';
import { LeaseLock, type ResourceLock } from './lease-lock.js';

/** A candidate's identity as kube-scheduler and kube-controller-manager make theirs. */
export function candidateIdentity(host: string = hostname()): string {
  return `${host}_${randomUUID()}`;
}

/** How long a lost term waits for its component's start to finish before leaving it to stop itself. */
const START_GRACE_MS = 2_000;

export interface Running {
  stop(): Promise<void> | void;
}

export interface LeaderElectedOptions {
  client: ApiClient;
  clock: Clock;
  /** The Lease's name, e.g. kube-scheduler (in kube-system unless `namespace` says otherwise). */
  leaseName: string;
  namespace?: string;
  identity?: string;
  /** Starts the component; called each time leading begins. */
  start: () => Promise<Running>;
  recorder?: EventRecorder & { flush?(): Promise<void> };
  /** Overrides for tests: another lock (wrapping the Lease one), timings, jitter. */
  lock?: (lease: ResourceLock) => ResourceLock;
  timings?: Pick<LeaderElectionConfig, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'random'>;
  log?: Logger;
}

export class LeaderElectedComponent {
  readonly identity: string;
  private readonly elector: LeaderElector;
  private readonly stopping = new AbortController();
  private running: Running | undefined;
  private starting: Promise<Running> | undefined;
  /** A start given up on when its term ended: it stops itself once started. */
  private abandoned: Promise<Running> | undefined;
  private campaign: Promise<void> | undefined;
  private terms = 0;
  private readonly log: Logger;

  constructor(private readonly opts: LeaderElectedOptions) {
    this.identity = opts.identity ?? candidateIdentity();
    this.log = opts.log ?? silentLogger;
    const leaseLock = new LeaseLock({ client: opts.client, namespace: opts.namespace ?? 'kube-system', name: opts.leaseName, identity: this.identity, ...(opts.recorder ? { recorder: opts.recorder } : {}) });
    this.elector = new LeaderElector({
      lock: opts.lock ? opts.lock(leaseLock) : leaseLock,
      clock: opts.clock,
      releaseOnCancel: true,
      log: this.log,
      ...opts.timings,
      callbacks: {
        onStartedLeading: async () => {
          this.terms++;
          this.log.info('started leading', { lease: opts.leaseName, identity: this.identity });
          const starting = opts.start();
          this.starting = starting;
          try {
            const running = await starting;
            if (this.abandoned !== starting) this.running = running;
          } finally {
            if (this.starting === starting) this.starting = undefined;
            this.onFirstTerm();
          }
        },
        onStoppedLeading: async () => {
          const starting = this.starting;
          if (starting) {
            // Stop only what has started: a start that does not finish soon (its informers cannot
            // sync) is stopped when it does, rather than holding up the release and the next campaign.
            const grace = new AbortController();
            const done = await Promise.race([
              starting.then(() => true, () => true),
              this.opts.clock.sleep(START_GRACE_MS, grace.signal).then(() => false, () => true),
            ]);
            grace.abort();
            if (!done) {
              this.log.warn('stopped leading while still starting: stopping once started', { lease: opts.leaseName });
              this.starting = undefined;
              this.abandoned = starting;
              void starting.then((late) => late.stop(), () => undefined);
              return;
            }
          }
          const running = this.running;
          this.running = undefined;
          if (running) {
            this.log.info('stopped leading', { lease: opts.leaseName, identity: this.identity });
            await running.stop();
          }
        },
        onNewLeader: (leader) => {
          if (leader && leader !== this.identity) this.log.info('new leader elected', { lease: opts.leaseName, leader });
        },
      },
    });
  }

  /** Whether the component is running here now. */
  get leading(): boolean {
    return this.running !== undefined;
  }

  /** How many times this candidate has begun leading. */
  get termsLed(): number {
    return this.terms;
  }

  /**
   * Begins campaigning. Resolves after the first try: when it won, once the component has started
   * (so a lone server starts as fast as without election); otherwise at once, as a standby.
   */
  async start(): Promise<void> {
    if (this.campaign) throw new Error('already started');
    const started = new Promise<void>((resolve) => (this.onFirstTerm = resolve));
    this.campaign = this.campaignUntilStopped();
    if (await this.elector.firstAttempt) await Promise.race([started, this.campaign]);
  }

  /** Stops the component if it runs here and releases the Lease, so a standby takes it at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.campaign;
    await this.opts.recorder?.flush?.();
  }

  private onFirstTerm: () => void = () => {};

  private async campaignUntilStopped(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.elector.run(signal);
      } catch (err) {
        this.log.error('leader election failed', { lease: this.opts.leaseName, error: (err as Error).message });
      }
      // A term that ended (a failed renewal, or a component that could not start) is followed by a
      // retry period's pause, so a failure that repeats does not spin.
      await this.opts.clock.sleep(this.opts.timings?.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS, signal).catch(() => undefined);
    }
  }
}
