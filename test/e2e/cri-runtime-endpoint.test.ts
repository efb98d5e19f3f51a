// A cluster on a containerd that is already running (--cri-endpoint): pods run there with its
// network; stopping the cluster removes its pods and leaves that containerd running.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../src/cluster.js';
import { containerdUnavailable, startTestContainerd } from '../helpers/containerd.js';
import { eventually } from '../helpers/cluster.js';
import { ApiClient } from '../../src/client/client.js';

const unavailable = containerdUnavailable();
const PODS = ApiClient.resourceOf('v1', 'Pod');

test('a cluster on a running containerd: pods run there, and only they are removed on stop', { skip: unavailable ?? false }, async (t) => {
  const h = await startTestContainerd();
  t.after(() => h.cleanup());
  const cluster = await startCluster({ store: 'memory', node: { runtime: 'cri', criEndpoint: h.containerd.endpoint } });
  let stopped = false;
  t.after(() => (stopped ? undefined : cluster.stop()));
  await eventually(() => cluster.client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default').then(() => true));
  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'external' },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: h.image, command: ['sleep', '3600'] }] },
  } as never);
  type Status = { podIP?: string; containerStatuses?: { state?: { running?: unknown } }[] };
  const status = await eventually<Status>(async () => {
    const pod = (await cluster.client.get(PODS, 'default', 'external')) as { status?: Status };
    return pod.status?.containerStatuses?.[0]?.state?.running ? pod.status : undefined;
  }, 60_000);
  const prefix = h.podCIDR.split('.').slice(0, 3).join('.');
  assert.ok(status.podIP?.startsWith(`${prefix}.`), `pod IP ${status.podIP} from the runtime's own network ${h.podCIDR}`);
  const sandboxes = await h.runtime.listPodSandboxes();
  assert.deepEqual(sandboxes.map((s) => `${s.namespace}/${s.name}`), ['default/external']);

  await cluster.stop();
  stopped = true;
  assert.deepEqual(await h.runtime.listPodSandboxes(), []);
  assert.equal((await h.runtime.version()).runtimeName, 'containerd');
});
