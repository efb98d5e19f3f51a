import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { WorkQueue } from '../../src/controllers/shared/queue.js';
import { FakeClock } from '../../src/util/clock.js';
import { silentLogger, type Logger } from '../../src/util/log.js';
import { eventually } from '../helpers/cluster.js';

function recordingLogger(warnings: string[]): Logger {
  return { ...silentLogger, warn: (message, fields) => void warnings.push(`${message} ${JSON.stringify(fields)}`) };
}

describe('controller work queue', () => {
  test('nothing runs before start; what was added meanwhile runs once start is called', async () => {
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => void runs.push(key), { clock: new FakeClock(), log: silentLogger });
    q.add('a');
    q.add('b');
    q.add('a');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(runs, []);
    q.start();
    await q.idle();
    assert.deepEqual(runs, ['a', 'b']);
    q.stop();
  });

  test('one key runs once at a time and re-runs once when added meanwhile; workers bound the parallelism', async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue(
      async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs.push(key);
        if (key === 'a' && runs.length === 1) await gate;
        else await new Promise((r) => setTimeout(r, 5));
        active--;
      },
      { clock: new FakeClock(), log: silentLogger, workers: 2 },
    );
    q.start();
    q.add('a');
    q.add('a');
    q.add('a');
    for (const k of ['b', 'c', 'd']) q.add(k);
    await eventually(() => runs.length >= 4, 5_000, 5, 'b, c and d run beside the blocked a');
    assert.equal(maxActive, 2);
    release();
    await q.idle();
    assert.deepEqual(runs.filter((k) => k === 'a'), ['a', 'a'], 'adds while running collapse into one re-run');
    assert.deepEqual([...runs].sort(), ['a', 'a', 'b', 'c', 'd']);
    q.stop();
  });

  test('a failed sync is retried with growing back-off on real time; a conflict is retried without a warning', async () => {
    const warnings: string[] = [];
    const attempts: number[] = [];
    let failuresLeft = 3;
    const q = new WorkQueue(
      async () => {
        attempts.push(Date.now());
        if (failuresLeft-- > 0) throw failuresLeft === 1 ? new ApiError(409, 'Conflict', 'the object has been modified') : new Error('boom');
      },
      { clock: new FakeClock(), log: recordingLogger(warnings), baseDelayMs: 20 },
    );
    q.start();
    q.add('k');
    await eventually(() => attempts.length === 4, 5_000, 5, 'three retries');
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `back-off doubles from 20 ms: ${gaps.join(', ')}`);
    assert.equal(warnings.length, 1, `only the first plain failure warns: ${warnings.join('; ')}`);
    assert.match(warnings[0]!, /sync failed; retrying.*"key":"k".*boom/);
    q.stop();
  });

  test('addAfter waits on the injected clock, and the earlier of two schedules wins', async () => {
    const clock = new FakeClock();
    const runs: string[] = [];
    const q = new WorkQueue(async (key) => void runs.push(`${key}@${clock.now() - start}`), { clock, log: silentLogger });
    const start = clock.now();
    q.start();
    q.addAfter('late', 5_000);
    q.addAfter('late', 1_000);
    q.addAfter('late', 9_000);
    await clock.advance(999);
    await q.idle();
    assert.deepEqual(runs, []);
    await clock.advance(1);
    await q.idle();
    assert.deepEqual(runs, ['late@1000']);
    await clock.advance(10_000);
    await q.idle();
    assert.deepEqual(runs, ['late@1000'], 'the later schedules were dropped');
    q.stop();
  });

  test('after stop nothing runs: neither adds, delayed adds nor retries', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const q = new WorkQueue(
      async () => {
        runs++;
        throw new Error('always');
      },
      { clock, log: silentLogger, baseDelayMs: 1 },
    );
    q.start();
    q.add('k');
    await q.idle();
    q.addAfter('later', 100);
    q.stop();
    q.add('other');
    await clock.advance(200);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(runs, 1);
  });
});
