// Leader election in virtual time against a real API server: candidates' clocks are a FakeClock
// moved in small steps, each step waiting until no lock request is in flight, so every wait of
// the election (retry period, renew deadline, lease duration) is exact while the Lease writes are
// real. Failures are made controllable by a lock wrapper that can refuse every request.

import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startCluster, type Cluster } from '../../src/cluster.js';
import { ApiClient } from '../../src/client/client.js';
import { FakeClock, settle } from '../../src/util/clock.js';
import { KubeletEventRecorder } from '../../src/kubelet/events.js';
import { ApiEventSink } from '../../src/agent/api-seams.js';
import {
  LeaderElectedComponent,
  LeaderElector,
  LeaderElectionConfigError,
  LeaseLock,
  type ElectionRecord,
  type Lease,
  type ResourceLock,
} from '../../src/leaderelection/index.js';

const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const NS = 'kube-system';
const STEP_MS = 100;

/** Delegates to the real Lease lock; counts requests in flight and can be told to fail them all. */
class ControllableLock implements ResourceLock {
  inFlight = 0;
  failing = false;
  failedUpdates = 0;
  constructor(private readonly inner: ResourceLock) {}
  get identity(): string {
    return this.inner.identity;
  }
  describe(): string {
    return this.inner.describe();
  }
  get(signal?: AbortSignal) {
    return this.track(() => this.inner.get(signal));
  }
  create(record: ElectionRecord, signal?: AbortSignal) {
    return this.track(() => this.inner.create(record, signal));
  }
  async update(record: ElectionRecord, signal?: AbortSignal) {
    try {
      return await this.track(() => this.inner.update(record, signal));
    } catch (err) {
      this.failedUpdates++;
      throw err;
    }
  }
  recordEvent(message: string): void {
    this.inner.recordEvent(message);
  }
  private async track<T>(op: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      if (this.failing) throw new Error('connect ECONNREFUSED (the API server is unreachable)');
      return await op();
    } finally {
      this.inFlight--;
    }
  }
}

interface Candidate {
  component: LeaderElectedComponent;
  lock: ControllableLock;
  /** How many times its component was started and stopped. */
  starts: number;
  stops: number;
}

let cluster: Cluster;
const run = randomBytes(3).toString('hex');
let leaseCounter = 0;

before(async () => {
  cluster = await startCluster({ store: 'memory' });
});
after(async () => {
  await cluster.stop();
});

function election(t: { after(fn: () => unknown): unknown }) {
  const clock = new FakeClock(Date.UTC(2026, 3, 1, 12, 0, 0));
  const leaseName = `le-${run}-${++leaseCounter}`;
  const candidates: Candidate[] = [];
  t.after(async () => {
    for (const c of candidates) c.lock.failing = true;
    await Promise.all(candidates.map((c) => c.component.stop()));
    await cluster.client.delete(LEASES, NS, leaseName).catch(() => undefined);
  });

  const idle = async () => {
    for (;;) {
      while (candidates.some((c) => c.lock.inFlight > 0)) await new Promise((r) => setTimeout(r, 1));
      await settle();
      if (!candidates.some((c) => c.lock.inFlight > 0)) return;
    }
  };

  return {
    clock,
    leaseName,
    candidates,
    idle,
    candidate(host: string, recorder?: KubeletEventRecorder, failStarts = 0, gate?: Promise<void>): Candidate {
      const c = { starts: 0, stops: 0 } as Candidate;
      c.component = new LeaderElectedComponent({
        client: cluster.client,
        clock,
        leaseName,
        identity: `${host}_${randomBytes(8).toString('hex')}`,
        lock: (inner) => (c.lock = new ControllableLock(inner)),
        timings: { random: () => 0 },
        ...(recorder ? { recorder } : {}),
        start: async () => {
          c.starts++;
          if (c.starts <= failStarts) throw new Error('informers could not sync');
          await gate;
          return { stop: () => void c.stops++ };
        },
      });
      candidates.push(c);
      return c;
    },
    /** Moves virtual time on in small steps; `each` runs after every step (for invariants). */
    async advance(ms: number, each?: () => void): Promise<void> {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        await idle();
        await clock.advance(Math.min(STEP_MS, end - clock.now()));
        await idle();
        each?.();
      }
    },
    /** Advances until `cond` holds; returns the virtual milliseconds it took. */
    async until(cond: () => boolean, limitMs: number, each?: () => void): Promise<number> {
      const start = clock.now();
      while (!cond()) {
        if (clock.now() - start > limitMs) throw new Error(`condition not met within ${limitMs} ms of virtual time`);
        await this.advance(STEP_MS, each);
      }
      return clock.now() - start;
    },
    lease: () => cluster.client.get<Lease>(LEASES, NS, leaseName),
  };
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.component.leading);
const atMostOneLeader = (cs: Candidate[]) => () => assert.ok(leaders(cs).length <= 1, `two leaders at once: ${leaders(cs).map((c) => c.component.identity)}`);

describe('leader election', () => {
  test('a free lease is taken at the first try, recorded as client-go records it, with a LeaderElection event', async (t) => {
    const e = election(t);
    const recorder = new KubeletEventRecorder({ sink: new ApiEventSink(cluster.client), clock: e.clock, component: 'default-scheduler', host: '' });
    const a = e.candidate('host-a', recorder);
    await a.component.start();
    assert.equal(a.component.leading, true, 'leading as soon as start() resolves, with no time passing');
    assert.equal(a.starts, 1);
    const lease = await e.lease();
    assert.equal(lease.spec?.holderIdentity, a.component.identity);
    assert.equal(lease.spec?.leaseDurationSeconds, 15);
    assert.equal(lease.spec?.leaseTransitions, 0);
    assert.match(lease.spec!.acquireTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(lease.spec?.renewTime, lease.spec?.acquireTime);
    await recorder.flush();
    const events = await cluster.client.list<any>(EVENTS, NS, { fieldSelector: `involvedObject.name=${e.leaseName}` });
    const became = events.items.find((ev) => ev.reason === 'LeaderElection');
    assert.ok(became, 'a LeaderElection event');
    assert.equal(became.message, `${a.component.identity} became leader`);
    assert.equal(became.type, 'Normal');
    assert.equal(became.involvedObject.kind, 'Lease');
    assert.equal(became.involvedObject.apiVersion, 'coordination.k8s.io/v1');
    assert.equal(became.source.component, 'default-scheduler');
  });

  test('the leader renews every retry period; a standby never leads meanwhile', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a');
    const b = e.candidate('host-b');
    await a.component.start();
    await b.component.start();
    assert.equal(b.component.leading, false);
    const before = Date.parse((await e.lease()).spec!.renewTime!);
    await e.advance(60_000, atMostOneLeader(e.candidates));
    assert.equal(a.component.leading, true);
    assert.equal(b.starts, 0, 'the standby never started its component');
    const lease = await e.lease();
    const renewed = Date.parse(lease.spec!.renewTime!);
    assert.ok(renewed - before >= 56_000, `renewed within the last retry periods (renewTime moved ${renewed - before} ms)`);
    assert.equal(lease.spec?.leaseTransitions, 0);
  });

  test('when the leader vanishes, the standby takes over within the lease duration (plus its retry); never two leaders', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a');
    const b = e.candidate('host-b');
    await a.component.start();
    await b.component.start();
    await e.advance(5_000);
    a.lock.failing = true; // host-a is cut off: it can neither renew nor release
    const invariant = atMostOneLeader(e.candidates);
    const took = await e.until(() => b.component.leading, 30_000, invariant);
    // The standby last saw the record change at most one retry period before the cut.
    assert.ok(took <= 15_000 + 2 * 2_000 + STEP_MS, `took over after ${took} ms`);
    assert.ok(took >= 15_000 - 2_000 - STEP_MS, `not before the lease expired (${took} ms)`);
    assert.equal(a.component.leading, false);
    assert.equal(a.stops, 1, "the cut-off leader's component was stopped");
    const lease = await e.lease();
    assert.equal(lease.spec?.holderIdentity, b.component.identity);
    assert.equal(lease.spec?.leaseTransitions, 1);
  });

  test('a leader that cannot renew within the renew deadline stops leading, then campaigns again', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a');
    await a.component.start();
    await e.advance(3_000);
    a.lock.failing = true;
    const stoppedAfter = await e.until(() => !a.component.leading, 20_000);
    // The failing round began at most one retry period after the cut and lasts the renew deadline.
    assert.ok(stoppedAfter >= 10_000 - STEP_MS && stoppedAfter <= 10_000 + 2_000 + STEP_MS, `stopped after ${stoppedAfter} ms`);
    assert.equal(a.stops, 1);
    a.lock.failing = false;
    await e.until(() => a.component.leading, 10_000);
    assert.equal(a.starts, 2, 'started again after winning again');
    assert.equal(a.component.termsLed, 2);
    assert.equal((await e.lease()).spec?.holderIdentity, a.component.identity);
  });

  test('a graceful stop releases the lease and the standby takes it at its next try, long before expiry', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a');
    const b = e.candidate('host-b');
    await a.component.start();
    await b.component.start();
    await e.advance(4_000);
    await a.component.stop();
    assert.equal(a.stops, 1);
    const released = await e.lease();
    assert.equal(released.spec?.holderIdentity, '');
    assert.equal(released.spec?.leaseDurationSeconds, 1);
    const took = await e.until(() => b.component.leading, 15_000);
    assert.ok(took <= 2_000 + STEP_MS, `took over ${took} ms after the release`);
    assert.equal((await e.lease()).spec?.leaseTransitions, 1);
  });

  test('every change of holder counts a transition; a renewal keeps acquireTime', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a');
    await a.component.start();
    const acquired = (await e.lease()).spec!.acquireTime;
    await e.advance(6_000);
    assert.equal((await e.lease()).spec!.acquireTime, acquired, 'renewals keep acquireTime');
    const b = e.candidate('host-b');
    await b.component.start();
    await a.component.stop();
    await e.until(() => b.component.leading, 5_000);
    const c = e.candidate('host-c');
    await c.component.start();
    await b.component.stop();
    await e.until(() => c.component.leading, 5_000);
    const lease = await e.lease();
    assert.equal(lease.spec?.holderIdentity, c.component.identity);
    assert.equal(lease.spec?.leaseTransitions, 2);
    assert.notEqual(lease.spec?.acquireTime, acquired);
  });

  test('candidates racing for a free lease: exactly one wins; writes by others make the leader re-read, not lose', async (t) => {
    const e = election(t);
    const contenders = [e.candidate('host-a'), e.candidate('host-b'), e.candidate('host-c')];
    await Promise.all(contenders.map((c) => c.component.start()));
    assert.equal(leaders(contenders).length, 1, 'one winner of the create race');
    const [leader] = leaders(contenders);
    // Another writer changes the Lease (a label): the leader's next optimistic write conflicts.
    await cluster.client.patch(LEASES, NS, e.leaseName, { metadata: { labels: { touched: 'yes' } } });
    const failedBefore = leader!.lock.failedUpdates;
    await e.advance(6_000, atMostOneLeader(contenders));
    assert.ok(leader!.lock.failedUpdates > failedBefore, 'the optimistic renewal met the conflict');
    assert.equal(leader!.component.leading, true, 'still leading after re-reading');
    const lease = await e.lease();
    assert.equal(lease.spec?.holderIdentity, leader!.component.identity);
    assert.equal(lease.metadata.labels?.touched, 'yes', "the other writer's change is kept");
    assert.ok(Date.parse(lease.spec!.renewTime!) >= e.clock.now() - 2_000 - STEP_MS, 'renewed after the conflict');
  });

  test('a leader whose component cannot start gives the lease up, and the standby leads', async (t) => {
    const e = election(t);
    const a = e.candidate('host-a', undefined, Infinity);
    await a.component.start();
    assert.equal(a.component.leading, false);
    assert.equal(a.starts, 1);
    for (let i = 0; i < 10 && (await e.lease()).spec?.holderIdentity !== ''; i++) await e.advance(100);
    assert.equal((await e.lease()).spec?.holderIdentity, '', 'released within a second of the failed start');
    const b = e.candidate('host-b');
    await b.component.start();
    assert.equal(b.component.leading, true, 'the released lease is taken at the first try');
    await e.advance(10_000, atMostOneLeader(e.candidates));
    assert.equal(b.component.leading, true);
    assert.equal(a.starts, 1, 'the failing candidate stays a standby while the lease is held');
    assert.equal((await e.lease()).spec?.leaseTransitions, 1);
  });

  test('a term lost while its component is still starting does not wait for the start; the late start is stopped', async (t) => {
    const e = election(t);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const a = e.candidate('host-a', undefined, 0, gate);
    const b = e.candidate('host-b');
    const starting = a.component.start();
    await e.idle();
    assert.equal(a.starts, 1, 'leading, its component starting');
    await b.component.start();
    a.lock.failing = true;
    // The renew deadline passes, then the start's grace: the term ends without the start finishing.
    await e.until(() => b.component.leading, 30_000, atMostOneLeader(e.candidates));
    assert.equal(a.stops, 0);
    const stopped = await Promise.race([a.component.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 5_000))]);
    open();
    assert.equal(stopped, 'stopped', 'stopping the candidate does not wait for the start either');
    await starting;
    await settle();
    assert.equal(a.stops, 1, 'the start that finished late was stopped at once');
    assert.equal(a.component.leading, false);
  });

  test('timings are validated as client-go validates them', () => {
    const lock = new LeaseLock({ client: cluster.client, namespace: NS, name: 'unused', identity: 'x' });
    const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
    const clock = new FakeClock();
    assert.throws(() => new LeaderElector({ lock, clock, callbacks, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), LeaderElectionConfigError);
    assert.throws(() => new LeaderElector({ lock, clock, callbacks, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline must be greater than retryPeriod\*JitterFactor/);
    assert.doesNotThrow(() => new LeaderElector({ lock, clock, callbacks }));
  });
});
