import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, makePod } from './harness.js';

test('three hundred pods start, crash-loop and are deleted on one agent', async () => {
  const h = await createHarness();
  try {
    h.runtime.behave({ name: 'crasher' }, { exitAfterMs: 5000, exitCode: 1 });
    const pods = Array.from({ length: 300 }, (_, i) =>
      h.add(makePod(`p-${i}`, { containers: [{ name: i % 3 === 0 ? 'crasher' : 'app', image: 'app:1' }] })),
    );
    await h.advance(120_000);
    const running = pods.filter((p) => h.api.lastStatus(p.metadata.uid!)?.phase === 'Running').length;
    assert.equal(running, 300);
    assert.equal(h.runtime.callsMatching(['runPodSandbox']).length, 300);
    // Crashers: started at 0, 5+1, then back-off 10 s and 20 s from their exits … within two minutes.
    const crasherStarts = h.runtime.callsMatching(['startContainer crasher']).length;
    assert.equal(crasherStarts, 100 * 5);
    for (const p of pods) h.deleteGracefully(p.metadata.uid!, 5);
    await h.advance(30_000);
    assert.equal(h.runtime.runningCount, 0);
    assert.equal(h.api.deleted.length, 300);
  } finally {
    await h.close();
  }
});
