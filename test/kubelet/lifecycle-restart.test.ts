import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, history, makePod, type Harness } from './harness.js';

function starts(h: Harness, name: string): number[] {
  return h.runtime.callsMatching([`startContainer ${name}`]).map((c) => Number(c.split('@')[1]));
}

function exits(h: Harness, name: string): number[] {
  return h.runtime.callsMatching([`exited ${name} `]).map((c) => Number(c.split('@')[1]));
}

describe('restart policy and crash-loop back-off', () => {
  test('§5.3 §3.3 §9.3 06: a container exiting 0 under Always restarts at once, then after 10 s doubling to 300 s', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'debian-container' }, { exitAfterMs: 500, exitCode: 0 });
      const pod = h.add(
        makePod(
          'two-contrains',
          {
            volumes: [{ name: 'shared-data', hostPath: { path: `${h.rootDir}/data` } }],
            containers: [
              { name: 'nginx-controller', image: 'nginx', volumeMounts: [{ name: 'shared-data', mountPath: '/usr/share/nginx/html' }] },
              { name: 'debian-container', image: 'debian', command: ['/bin/sh'], args: ['-c', 'echo Hello > /pod-data/index.html'], volumeMounts: [{ name: 'shared-data', mountPath: '/pod-data' }] },
            ],
          },
          'name01',
        ),
      );
      await h.advance(1000_000);
      const s = starts(h, 'debian-container');
      const e = exits(h, 'debian-container');
      assert.deepEqual(s, [0, 1, 11.5, 32, 72.5, 153, 313.5, 614, 914.5]);
      const delays = s.slice(1).map((at, i) => at - e[i]!);
      // The first restart waits only for the relist; then the back-off from the previous exit.
      assert.deepEqual(delays, [0.5, 10, 20, 40, 80, 160, 300, 300]);
      assert.deepEqual(starts(h, 'nginx-controller'), [0]);

      const uid = pod.metadata.uid!;
      const debian = (st: import('../../src/api/types.js').PodStatus) => st.containerStatuses?.find((c) => c.name === 'debian-container');
      const messages = history(h.api.writes.get(uid), (st) => debian(st)?.state?.waiting?.message).filter((m) => m);
      const who = `container=debian-container pod=two-contrains_name01(${uid})`;
      assert.deepEqual(
        [...new Set(messages)],
        ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s'].map((d) => `back-off ${d} restarting failed ${who}`),
      );
      assert.ok(h.api.writes.get(uid)!.every((w) => w.status.phase === 'Running' || w.status.phase === 'Pending'));
      const backoff = h.events.find('BackOff')!;
      assert.equal(backoff.message, `Back-off restarting failed container debian-container in pod two-contrains_name01(${uid})`);
      // 9 starts × (Pulled, Created, Started) exhaust the per-object spam budget (25, +1 per 300 s):
      // later events are dropped, as Kubernetes' recorder does. During back-offs longer than the
      // 60 s resync the BackOff event repeats.
      assert.equal(backoff.count, 8);
      assert.equal(h.events.events.reduce((n, ev) => n + (ev.count ?? 1), 0), 25 + 3);
      assert.equal(debian(h.api.lastStatus(uid)!)!.restartCount, 8);
    } finally {
      await h.close();
    }
  });

  test('§5.3 the back-off resets after a container ran for more than 10 minutes', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, (_c, n) => ({ exitAfterMs: n === 1 ? 660_000 : 500, exitCode: 1 }));
      h.add(makePod('flaky', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(700_000);
      // 0 crash → immediate; then a run of 11 minutes: restarted at once and the next wait is 10 s again.
      assert.deepEqual(starts(h, 'app'), [0, 1, 661, 671.5, 692]);
    } finally {
      await h.close();
    }
  });

  test('§5.1 §1.2 OnFailure restarts a failed container but not a succeeded one; the pod then Succeeds', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'job' }, (_c, n) => ({ exitAfterMs: 1000, exitCode: n === 0 ? 1 : 0 }));
      const pod = h.add(makePod('job-1', { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'job:1' }] }));
      await h.advance(60_000);
      // The relist at 1 s ran just before the exit at 1 s; the next one sees it.
      assert.deepEqual(starts(h, 'job'), [0, 2]);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Succeeded');
      assert.equal(status.containerStatuses![0]!.restartCount, 1);
      assert.equal(status.containerStatuses![0]!.state!.terminated!.reason, 'Completed');
    } finally {
      await h.close();
    }
  });

  test('§5.1 §1.2 Never does not restart; a failed container fails the pod', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'job' }, { exitAfterMs: 1000, exitCode: 3, terminationMessage: 'disk full' });
      const pod = h.add(makePod('job-2', { restartPolicy: 'Never', containers: [{ name: 'job', image: 'job:1' }] }));
      await h.advance(60_000);
      assert.deepEqual(starts(h, 'job'), [0]);
      const status = h.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Failed');
      const terminated = status.containerStatuses![0]!.state!.terminated!;
      assert.equal(terminated.exitCode, 3);
      assert.equal(terminated.reason, 'Error');
      assert.equal(terminated.message, 'disk full');
    } finally {
      await h.close();
    }
  });

  test('§3.4 FallbackToLogsOnError puts the log tail into the termination message of a failure', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'job' }, { exitAfterMs: 1000, exitCode: 2, logLines: ['starting', 'boom: no such file'] });
      const pod = h.add(
        makePod('job-3', { restartPolicy: 'Never', containers: [{ name: 'job', image: 'job:1', terminationMessagePolicy: 'FallbackToLogsOnError' }] }),
      );
      await h.advance(5000);
      const terminated = h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.terminated!;
      assert.equal(terminated.message, 'starting\nboom: no such file\n');
    } finally {
      await h.close();
    }
  });

  test('§3.3 §3.4 a start failure is reported with its reason and retried with back-off', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, (_c, n) => (n < 2 ? { failStart: 'exec: "nope": executable file not found in $PATH' } : {}));
      const pod = h.add(makePod('bad-cmd', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(30_000);
      assert.deepEqual(starts(h, 'app'), [0, 1, 11]);
      assert.ok(h.events.find('Failed', 'Error: exec: "nope": executable file not found in $PATH'));
      const uid = pod.metadata.uid!;
      const reasons = history(h.api.writes.get(uid), (s) => s.containerStatuses?.[0]?.state?.waiting?.reason ?? Object.keys(s.containerStatuses?.[0]?.state ?? {})[0]);
      assert.ok(reasons.includes('RunContainerError'), JSON.stringify(reasons));
      assert.ok(reasons.includes('CrashLoopBackOff'), JSON.stringify(reasons));
      assert.ok(h.api.lastStatus(uid)!.containerStatuses![0]!.state!.running);
    } finally {
      await h.close();
    }
  });
});
