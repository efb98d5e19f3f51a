import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from '../../src/api/types.js';
import { createHarness, history, makePod, type Harness } from './harness.js';

function at(h: Harness, prefix: string): number[] {
  return h.runtime.callsMatching([prefix]).map((c) => Number(c.split('@').pop()));
}

/** The liveness server of seed 03: 200 for the first 10 s of the process's life, then 500. */
function livenessServer(h: Harness, containerName: string) {
  h.network.http = async () => {
    const running = (await h.runtime.listContainers({ state: 'RUNNING' })).find((c) => c.name === containerName);
    if (!running) throw new Error('connection refused');
    const life = (h.clock.now() - running.startedAt!) / 1000;
    return life < 10 ? { statusCode: 200, body: Buffer.from('ok') } : { statusCode: 500, body: Buffer.from(`error: ${life}`) };
  };
}

describe('probes and lifecycle hooks', () => {
  test('§6.2 §6.3 §6.4 §5.3 03: liveness failures kill and restart the container, backing off into CrashLoopBackOff', async () => {
    const h = await createHarness();
    try {
      livenessServer(h, 'liveness');
      const pod = h.add(
        makePod('liveness-http', {
          containers: [
            {
              name: 'liveness',
              image: 'mirrorgooglecontainers/liveness',
              args: ['/server'],
              livenessProbe: {
                httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'Custom-Header', value: 'Awesome' }] },
                initialDelaySeconds: 3,
                periodSeconds: 3,
                timeoutSeconds: 1,
                successThreshold: 1,
                failureThreshold: 3,
              },
            },
          ],
        }),
      );
      const uid = pod.metadata.uid!;
      await h.advance(400_000);

      // Probes at 3, 6, 9 s pass; 12, 15, 18 s fail (the server turns 500 at 10 s): killed at 18 s.
      const starts = at(h, 'startContainer liveness');
      const kills = at(h, 'stopContainer liveness');
      assert.deepEqual(kills.slice(0, 7), [18, 36, 54, 72, 108, 165, 261]);
      // A killed container restarts in the same sync while the back-off, measured from the previous
      // instance's exit, is shorter than the instance's run (10 s, then 20 s); from then on it waits
      // in CrashLoopBackOff for 20 s, 40 s, 80 s after the exit.
      assert.deepEqual(starts.slice(0, 7), [0, 18, 36, 54, 92, 148, 245]);
      const killing = h.events.find('Killing')!;
      assert.equal(killing.message, 'Container liveness failed liveness probe, will be restarted');
      assert.equal(killing.involvedObject.fieldPath, 'spec.containers{liveness}');
      assert.equal(h.events.find('Unhealthy')?.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
      assert.equal(h.events.find('BackOff')?.message, `Back-off restarting failed container liveness in pod liveness-http_default(${uid})`);
      const reasons = history(h.api.writes.get(uid), (s) => s.containerStatuses?.[0]?.state?.waiting?.reason);
      assert.ok(reasons.includes('CrashLoopBackOff'));
      const req = h.network.requests[0]!.req;
      assert.equal(req.path, '/healthz');
      assert.ok(req.headers.some(([k, v]) => k === 'Custom-Header' && v === 'Awesome'));
      assert.equal(h.api.lastStatus(uid)!.phase, 'Running');
    } finally {
      await h.close();
    }
  });

  test('§7.2 §6.2 §7.3 05: postStart blocks the next container; the startup probe gates readiness; preStop runs before SIGTERM on deletion', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('register service', { durationMs: 10_000 });
      h.runtime.onExec('deregister service', { durationMs: 10_000 });
      let version = 0;
      h.runtime.onExec('version.txt', () => ({ exitCode: version > 2 ? 0 : 1 }));
      h.runtime.behave({ name: 'web' }, { onStopSignal: 'ignore' });
      h.network.http = () => ({ statusCode: 200, body: Buffer.from('ok') });
      const web: Container = {
        name: 'web',
        image: 'myos:httpd',
        startupProbe: { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 6, tcpSocket: { port: 80 } },
        livenessProbe: { timeoutSeconds: 3, httpGet: { path: '/info.php', port: 80 } },
        readinessProbe: { failureThreshold: 3, periodSeconds: 10, exec: { command: ['sh', '-c', 'read ver </var/www/html/version.txt'] } },
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo "register service" | tee -a /tmp/web.log; sleep 10'] } },
          preStop: { exec: { command: ['sh', '-c', 'echo "deregister service" | tee -a /tmp/web.log; sleep 10'] } },
        },
      };
      const pod = h.add(makePod('web2', { containers: [web, { name: 'after', image: 'busybox:1.28' }] }));
      const uid = pod.metadata.uid!;
      await h.advance(30_000);
      assert.deepEqual(h.runtime.callsMatching(['startContainer', 'exec web sh -c echo "register']), [
        'startContainer web@0',
        'exec web sh -c echo "register service" | tee -a /tmp/web.log; sleep 10@0',
        'startContainer after@10',
      ]);
      const web0 = (s: import('../../src/api/types.js').PodStatus) => s.containerStatuses?.find((c) => c.name === 'web');
      // While postStart runs the sync is blocked: nothing reports web running before the hook ends.
      const early = h.api.writes.get(uid)!.filter((w) => w.at < h.clock.now() - 20_000);
      assert.ok(early.length > 0);
      assert.ok(early.every((w) => web0(w.status)?.state?.waiting?.reason === 'ContainerCreating'), JSON.stringify(early.map((w) => web0(w.status)?.state)));
      // Not started (startup probe pending) and not ready.
      assert.equal(web0(h.api.lastStatus(uid)!)!.started, false);
      assert.equal(web0(h.api.lastStatus(uid)!)!.ready, false);

      await h.advance(50_000); // t = 80: the startup probe (first at 60 s) has succeeded
      assert.equal(web0(h.api.lastStatus(uid)!)!.started, true);
      assert.equal(web0(h.api.lastStatus(uid)!)!.ready, false);
      assert.ok(at(h, 'exec web sh -c read ver').length > 0);
      version = 3;
      await h.advance(20_000);
      assert.equal(web0(h.api.lastStatus(uid)!)!.ready, true);

      const deleteAt = h.t();
      h.deleteGracefully(uid);
      await h.advance(40_000);
      const rel = (prefix: string) => at(h, prefix).map((t) => t - deleteAt);
      assert.deepEqual(rel('exec web sh -c echo "deregister'), [0]);
      assert.deepEqual(rel('stopContainer web'), [10]);
      assert.deepEqual(h.runtime.callsMatching(['stopContainer web']).map((c) => c.split('@')[0]), ['stopContainer web 20']);
      assert.deepEqual(rel('signal web SIGTERM'), [10]);
      // httpd as PID 1 ignores SIGTERM: SIGKILL when the 30 s grace ends.
      assert.deepEqual(rel('signal web SIGKILL'), [30]);
      assert.ok(h.events.find('Killing', 'Stopping container web'));
      assert.ok(h.events.find('Killing', 'Stopping container after'));
      assert.deepEqual(h.api.deleted, [uid]);
      assert.equal(h.runtime.runningCount, 0);
      // Once the object is gone, housekeeping removes the sandbox and the pod's directory.
      assert.deepEqual(await h.runtime.listPodSandboxes(), []);
      await assert.rejects(stat(join(h.rootDir, 'pods', uid)));
    } finally {
      await h.close();
    }
  });

  test('§7.3 §8.3 deletion with a grace shorter than preStop: the stop signal comes at the grace end with the 2 s minimum', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('drain', { durationMs: 10_000 });
      h.runtime.behave({ name: 'app' }, { onStopSignal: 'ignore' });
      const pod = h.add(makePod('slow-stop', { containers: [{ name: 'app', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] }));
      await h.advance(5000);
      const deleteAt = h.t();
      h.deleteGracefully(pod.metadata.uid!, 5);
      await h.advance(20_000);
      assert.deepEqual(
        h.runtime.callsMatching(['exec app drain', 'stopContainer app', 'signal app'], h.clock.now() - (h.t() - deleteAt) * 1000),
        ['exec app drain@0', 'stopContainer app 2@5', 'signal app SIGTERM@5', 'signal app SIGKILL@7'],
      );
      assert.equal(h.api.lastStatus(pod.metadata.uid!)?.phase ?? 'gone', 'gone');
    } finally {
      await h.close();
    }
  });

  test('§8.1 §8.3 a shorter grace period requested during termination cuts the wait', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, { onStopSignal: 'ignore' });
      const pod = h.add(makePod('stubborn', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(2000);
      const origin = h.clock.now();
      h.deleteGracefully(pod.metadata.uid!, 30);
      await h.advance(5000);
      h.deleteGracefully(pod.metadata.uid!, 1);
      await h.advance(10_000);
      assert.deepEqual(h.runtime.callsMatching(['stopContainer app', 'signal app'], origin), [
        'stopContainer app 30@0',
        'signal app SIGTERM@0',
        'stopContainer app 2@5',
        'signal app SIGTERM@5',
        'signal app SIGKILL@7',
      ]);
    } finally {
      await h.close();
    }
  });

  test('§7.2 a failed postStart hook kills the container and restarts it with back-off', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('register', { exitCode: 1, stdout: 'no registry' });
      const pod = h.add(makePod('hooked', { containers: [{ name: 'app', image: 'app:1', lifecycle: { postStart: { exec: { command: ['register'] } } } }] }));
      await h.advance(15_000);
      assert.equal(h.events.find('FailedPostStartHook')?.message, 'PostStartHook failed');
      assert.equal(h.events.find('FailedPostStartHook')?.type, 'Warning');
      assert.ok(h.events.find('Killing', 'FailedPostStartHook'));
      const starts = at(h, 'startContainer app');
      assert.deepEqual(starts.slice(0, 3), [0, 1, 11]);
      const waiting = h.api.writes.get(pod.metadata.uid!)!.map((w) => w.status.containerStatuses?.[0]?.state?.waiting).filter((w) => w?.reason === 'PostStartHookError');
      assert.ok(waiting.length > 0);
      assert.match(waiting[0]!.message!, /^Exec lifecycle hook \(\[register\]\) for Container "app" in Pod "hooked_default\(.*\)" failed - error: .*, message: "no registry"$/);
    } finally {
      await h.close();
    }
  });

  test('§6.3 §6.4 a startup probe that keeps failing kills the container with its own message', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('ready-check', { exitCode: 1, stdout: 'not yet' });
      const pod = h.add(
        makePod('slow-start', {
          containers: [{ name: 'app', image: 'app:1', startupProbe: { exec: { command: ['ready-check'] }, periodSeconds: 5, failureThreshold: 2 } }],
        }),
      );
      await h.advance(12_000);
      assert.equal(h.events.find('Killing')?.message, 'Container app failed startup probe, will be restarted');
      assert.equal(h.events.find('Unhealthy')?.message, 'Startup probe failed: not yet');
      // Probes at 0 and 5 s: the sync that starts the container reports it running at once, so the
      // probe at 0 already counts, and the second failure kills it.
      assert.deepEqual(at(h, 'stopContainer app'), [5]);
      assert.deepEqual(at(h, 'startContainer app'), [0, 5]);
      assert.equal(h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.started, false);
    } finally {
      await h.close();
    }
  });

  test('§7.3 a failed preStop hook is reported and termination goes on', async () => {
    const h = await createHarness();
    try {
      h.runtime.onExec('drain', { exitCode: 2 });
      const pod = h.add(makePod('prestop-fails', { containers: [{ name: 'app', image: 'app:1', lifecycle: { preStop: { exec: { command: ['drain'] } } } }] }));
      await h.advance(3000);
      h.deleteGracefully(pod.metadata.uid!, 30);
      await h.advance(5000);
      assert.equal(h.events.find('FailedPreStopHook')?.message, 'PreStopHook failed');
      assert.deepEqual(h.runtime.callsMatching(['stopContainer app']).map((c) => c.split('@')[0]), ['stopContainer app 30']);
      assert.deepEqual(h.api.deleted, [pod.metadata.uid!]);
    } finally {
      await h.close();
    }
  });
});
