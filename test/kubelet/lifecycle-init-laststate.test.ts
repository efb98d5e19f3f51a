// An init container's lastState across retries, as the kubelet reports it: the failed previous
// instance while the retry runs and just after it succeeds; then, once the older instance is pruned
// before the next container starts (pruneInitContainersBeforeStart keeps only the newest exited
// instance of each init container), nothing is left to report and lastState is empty.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, history, makePod } from './harness.js';

test('§3.2 04: a retried init container shows the failed run as lastState until its old instance is pruned', async () => {
  const h = await createHarness();
  try {
    h.runtime.behave({ name: 'task1' }, (_c, n) => ({ exitAfterMs: 2000, exitCode: n < 1 ? 1 : 0 }));
    h.runtime.behave({ name: 'task2' }, { exitAfterMs: 0, exitCode: 0 });
    const pod = h.add(
      makePod('web1', {
        initContainers: [
          { name: 'task1', image: 'myos:latest' },
          { name: 'task2', image: 'myos:latest' },
        ],
        containers: [{ name: 'web', image: 'myos:httpd' }],
      }),
    );
    await h.advance(30_000);
    const uid = pod.metadata.uid!;
    const seen = history(h.api.writes.get(uid), (s) => {
      const t1 = s.initContainerStatuses?.[0];
      const state = Object.keys(t1?.state ?? {})[0];
      return `${t1?.restartCount} ${state}${state === 'terminated' ? `/${t1?.state?.terminated?.exitCode}` : ''} last=${t1?.lastState?.terminated?.exitCode ?? '-'}`;
    });
    assert.deepEqual(seen, ['0 waiting last=-', '0 running last=-', '0 terminated/1 last=-', '1 running last=1', '1 terminated/0 last=1', '1 terminated/0 last=-'], seen.join(' → '));
    const final = h.api.lastStatus(uid)!;
    assert.equal(final.phase, 'Running');
    assert.deepEqual(final.initContainerStatuses![0]!.lastState, {});
    // What is left of task1 in the runtime: only the run that succeeded.
    const task1 = (await h.runtime.listContainers()).filter((c) => c.name === 'task1');
    assert.deepEqual(task1.map((c) => [c.state, c.exitCode]), [['EXITED', 0]]);
    assert.deepEqual(h.runtime.callsMatching(['removeContainer']), ['removeContainer task1@4']);
  } finally {
    await h.close();
  }
});
