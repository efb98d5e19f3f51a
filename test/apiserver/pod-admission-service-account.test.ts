// A pod created right behind its namespace: the `default` ServiceAccount may still be on its way
// from the controller, so admission looks again (ten times, 100-200 ms apart) before refusing;
// a named account that is missing is refused at once. The registry stand-in controls when the
// account appears.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../../src/api/types.js';
import { resources } from '../../src/api/resources.js';
import { strategyFor } from '../../src/apiserver/strategies.js';
import type { Registry, WriteContext } from '../../src/apiserver/registry.js';

const podsInfo = resources.find((r) => r.group === '' && r.resource === 'pods')!;

function registryWhereAccountAppearsAfter(looks: number) {
  let calls = 0;
  const registry = {
    resourceByKind: (_apiVersion: string, kind: string) => resources.find((r) => r.group === '' && r.kind === kind)!,
    current: async () => (++calls > looks ? { object: { metadata: { name: 'default' } } } : undefined),
  } as unknown as Registry;
  return { registry, calls: () => calls };
}

const pod = (serviceAccountName?: string): Pod => ({
  metadata: { name: 'p', namespace: 'fresh' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(serviceAccountName ? { serviceAccountName } : {}) },
});

test('the default ServiceAccount created a few hundred milliseconds after the pod arrives: admitted', async () => {
  const { registry, calls } = registryWhereAccountAppearsAfter(3);
  const p = pod();
  await strategyFor(podsInfo).admit!(p, undefined, registry, {} as WriteContext);
  assert.equal(calls(), 4, 'three misses, then the account');
  assert.equal(p.spec.serviceAccountName, 'default');
  assert.ok(p.spec.volumes?.some((v) => v.name.startsWith('kube-api-access-')), 'the token volume was added');
});

test('no default ServiceAccount after ten looks: refused with the plugin message', async () => {
  const { registry, calls } = registryWhereAccountAppearsAfter(Infinity);
  await assert.rejects(strategyFor(podsInfo).admit!(pod(), undefined, registry, {} as WriteContext), {
    message: 'pods "p" is forbidden: error looking up service account fresh/default: serviceaccount "default" not found',
  });
  assert.equal(calls(), 10);
});

test('a missing named ServiceAccount is refused after one look', async () => {
  const { registry, calls } = registryWhereAccountAppearsAfter(Infinity);
  await assert.rejects(strategyFor(podsInfo).admit!(pod('builder'), undefined, registry, {} as WriteContext), {
    message: 'pods "p" is forbidden: error looking up service account fresh/builder: serviceaccount "builder" not found',
  });
  assert.equal(calls(), 1);
});
