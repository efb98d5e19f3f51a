// Jobs end to end on a node agent (the fake runtime on the real clock): scheduler → agent → pod
// status → Job controller, with a sidecar the kubelet ends when the main container has finished.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { realClock } from '../../src/util/clock.js';
import { testCluster, eventually } from '../helpers/cluster.js';
import { JOBS, PODS, jobManifest } from './job-helpers.js';

const NS = 'default';

describe('Jobs on a node', () => {
  test('pods run to completion beside a sidecar; a failing pod ends a Job at backoffLimit 0', async (t) => {
    const runtime = new FakeRuntime({ clock: realClock, images: ['busybox', 'sidecar'], writeLogs: false });
    runtime.behave({ name: 'main' }, { exitAfterMs: 300, exitCode: 0 });
    runtime.behave({ name: 'main', commandIncludes: 'fail' }, { exitAfterMs: 100, exitCode: 2 });
    runtime.behave({ name: 'proxy' }, { onStopSignal: { afterMs: 10, exitCode: 0 } });
    const c = await testCluster(t, { store: 'memory', node: { runtime, name: 'worker' } });

    await c.client.create(
      JOBS,
      NS,
      jobManifest('with-sidecar', { completions: 2, parallelism: 2 }, {
        initContainers: [{ name: 'proxy', image: 'sidecar', restartPolicy: 'Always' }],
        containers: [{ name: 'main', image: 'busybox', command: ['work'] }],
      }),
    );
    const done: any = await eventually(async () => {
      const j: any = await c.client.get(JOBS, NS, 'with-sidecar');
      return j.status?.conditions?.some((x: any) => x.type === 'Complete') ? j : undefined;
    }, 60_000);
    assert.equal(done.status.succeeded, 2);
    assert.equal(done.status.failed, undefined); // omitted at zero, as Kubernetes does
    const pods = (await c.client.list<Pod>(PODS, NS, { labelSelector: 'batch.kubernetes.io/job-name=with-sidecar' })).items;
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.spec.nodeName, 'worker');
      assert.equal(p.status?.phase, 'Succeeded');
      assert.ok(p.status?.initContainerStatuses?.[0]?.state?.terminated, 'the sidecar was ended');
      assert.ok(!p.metadata.finalizers?.length);
    }
    const table = await c.kubectl(['get', 'jobs', 'with-sidecar', '--no-headers']);
    assert.match(table.stdout, /^with-sidecar\s+Complete\s+2\/2\s/);

    await c.client.create(JOBS, NS, jobManifest('fails', { backoffLimit: 0 }, { containers: [{ name: 'main', image: 'busybox', command: ['fail'] }] }));
    const failed: any = await eventually(async () => {
      const j: any = await c.client.get(JOBS, NS, 'fails');
      return j.status?.conditions?.some((x: any) => x.type === 'Failed') ? j : undefined;
    }, 60_000);
    assert.equal(failed.status.failed, 1);
    assert.deepEqual(failed.status.conditions.at(-1).reason, 'BackoffLimitExceeded');
    const described = await c.kubectl(['describe', 'job', 'fails']);
    assert.match(described.stdout, /Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified backoff limit/);
    assert.match(described.stdout, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 0 Succeeded \/ 1 Failed/);
  });
});
