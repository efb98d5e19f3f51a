import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from '../../src/api/types.js';
import type { ApiClient } from '../../src/client/client.js';
import { ApiPodStatusWriter, statusPatch } from '../../src/agent/api-seams.js';
import { applyStrategicMergePatch } from '../../src/api/patch/index.js';

const notReady = { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastTransitionTime: '2026-01-01T00:00:00Z' };
const ready = { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:05Z' };

test('a condition that lost its reason and message is patched with them as null; others go as they are', () => {
  const current = { phase: 'Running', conditions: [notReady, { type: 'PodScheduled', status: 'True' }] } as PodStatus;
  const next = { phase: 'Running', conditions: [ready, { type: 'Initialized', status: 'True' }] } as PodStatus;
  const patch = statusPatch(current, next);
  assert.deepEqual(patch.conditions, [{ reason: null, message: null, ...ready }, { type: 'Initialized', status: 'True' }]);
  assert.equal(statusPatch(undefined, next), next);
  // Applied as the API applies it, the Ready condition is the new one exactly; without the nulls it keeps the old reason.
  const applied = (status: PodStatus) => (applyStrategicMergePatch({ status: current }, { status }, 'v1', 'Pod') as Pod).status!.conditions!.find((c) => c.type === 'Ready');
  assert.deepEqual(applied(patch), { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:05Z' });
  assert.equal(applied(next)?.reason, 'ContainersNotReady');
});

test('the status writer sends that patch and keeps no managedFields of the answer', async () => {
  const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u1', resourceVersion: '5' }, spec: { containers: [] }, status: { conditions: [notReady] } } as unknown as Pod;
  let sent: { status: PodStatus } | undefined;
  const client = {
    patch: async (_info: unknown, _ns: string, _name: string, body: { status: PodStatus }) => {
      sent = JSON.parse(JSON.stringify(body));
      return { ...pod, metadata: { ...pod.metadata, managedFields: [{ manager: 'k8ts' }] } };
    },
  } as unknown as ApiClient;
  const stored = await new ApiPodStatusWriter(client).writeStatus(pod, { conditions: [ready] } as PodStatus);
  assert.deepEqual(sent?.status.conditions, [{ reason: null, message: null, ...ready }]);
  assert.equal(stored?.metadata.managedFields, undefined);
});
