// imagePullSecrets: dockerconfigjson and dockercfg secrets matched to the image's registry as the
// kubelet's credential keyring matches them, passed to the runtime's pull, and tried in turn.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialKeyring } from '../../src/kubelet/image-credentials.js';
import { createHarness, makePod } from './harness.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerConfigJson = (auths: Record<string, object>) => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });
const dockerCfg = (entries: Record<string, object>) => ({ type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify(entries)) } });

describe('credential keyring', () => {
  test('keys match by host glob, port and path prefix; the most specific key comes first', () => {
    const k = new CredentialKeyring();
    k.addSecret(dockerConfigJson({
      'registry.example:5000': { username: 'host', password: 'h' },
      'https://registry.example:5000/team': { username: 'team', password: 't' },
      '*.mirror.example': { auth: b64('glob:g') },
      'https://index.docker.io/v1/': { username: 'hub', password: 'd' },
    }));
    const users = (image: string) => k.lookup(image).map((a) => a.username);
    assert.deepEqual(users('registry.example:5000/team/app:1'), ['team', 'host']);
    assert.deepEqual(users('registry.example:5000/other/app:1'), ['host']);
    assert.deepEqual(users('registry.example/team/app:1'), [], 'no port is another key');
    assert.deepEqual(users('a.mirror.example/app'), ['glob']);
    assert.deepEqual(users('a.b.mirror.example/app'), [], 'a glob stands for one label');
    assert.deepEqual(users('busybox:1.28'), ['hub']);
    assert.deepEqual(users('library/nginx'), ['hub']);
    assert.deepEqual(k.lookup('a.mirror.example/app')[0], { username: 'glob', password: 'g', auth: b64('glob:g') });
  });

  test('secrets of other types, bad JSON and bad base64 add nothing', () => {
    const k = new CredentialKeyring();
    k.addSecret({ type: 'Opaque', data: { '.dockerconfigjson': dockerConfigJson({ r: { username: 'x' } }).data['.dockerconfigjson'] } });
    k.addSecret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{not json') } });
    k.addSecret({ type: 'kubernetes.io/dockercfg', data: {} });
    assert.deepEqual(k.lookup('r/app'), []);
    k.addSecret(dockerCfg({ 'r.example': { username: 'cfg', password: 'p' } }));
    assert.deepEqual(k.lookup('r.example/app').map((a) => a.username), ['cfg']);
  });
});

describe('pulls with imagePullSecrets', () => {
  const image = 'registry.example:5000/team/app:1';
  const account = { username: 'puller', password: 'secret' };

  test('the matching secret authenticates the pull; without it the pull fails with the registry error', async () => {
    const h = await createHarness();
    try {
      h.runtime.requirePullAuth(image, account);
      h.config.secrets.set('default/regcred', dockerConfigJson({ 'registry.example:5000': { ...account, email: 'a@b.c' } }));
      h.config.secrets.set('default/elsewhere', dockerConfigJson({ 'other.example': { username: 'x', password: 'y' } }));
      const withSecret = h.add(makePod('with', { imagePullSecrets: [{ name: 'elsewhere' }, { name: 'regcred' }], containers: [{ name: 'app', image }] }));
      // Always: with IfNotPresent the image the first pod pulled would serve this one too, as on a real node.
      const without = h.add(makePod('without', { imagePullSecrets: [{ name: 'elsewhere' }], containers: [{ name: 'app', image, imagePullPolicy: 'Always' }] }));
      await h.advance(3000);
      assert.ok(h.api.lastStatus(withSecret.metadata.uid!)!.containerStatuses![0]!.state!.running);
      const failed = h.api.lastStatus(without.metadata.uid!)!.containerStatuses![0]!.state!.waiting!;
      assert.match(failed.reason!, /^(ErrImagePull|ImagePullBackOff)$/);
      assert.match(failed.message!, /authorization failed: no basic auth credentials/);
      // The two pods' first pulls (in either order): one with the account, one anonymous.
      const pulls = h.runtime.pulls().filter((p) => p.image === image).slice(0, 2);
      assert.deepEqual(pulls.map((p) => p.auth?.username ?? 'anonymous').sort(), ['anonymous', 'puller']);
      assert.deepEqual(pulls.find((p) => p.auth)!.auth, account);
    } finally {
      await h.close();
    }
  });

  test('every matching credential is tried, most specific first; a dockercfg secret works too', async () => {
    const h = await createHarness();
    try {
      h.runtime.requirePullAuth(image, account);
      h.config.secrets.set('default/stale', dockerConfigJson({ 'registry.example:5000/team': { username: 'old', password: 'expired' } }));
      h.config.secrets.set('default/cfg', dockerCfg({ 'registry.example:5000': { auth: b64('puller:secret') } }));
      const pod = h.add(makePod('both', { imagePullSecrets: [{ name: 'cfg' }, { name: 'stale' }], containers: [{ name: 'app', image }] }));
      await h.advance(3000);
      assert.ok(h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.running);
      assert.deepEqual(h.runtime.pulls().map((p) => p.auth?.username), ['old', 'puller']);
      assert.equal(h.events.lines().filter((l) => l.startsWith('Normal Pulling')).length, 1);
    } finally {
      await h.close();
    }
  });

  test('a pull secret that does not exist: a FailedToRetrieveImagePullSecret event, and an anonymous pull', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(makePod('missing', { imagePullSecrets: [{ name: 'nowhere' }], containers: [{ name: 'app', image: 'public:1' }] }));
      await h.advance(3000);
      assert.ok(h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.running);
      const event = h.events.find('FailedToRetrieveImagePullSecret');
      assert.equal(event?.message, 'Unable to retrieve some image pull secrets (default/nowhere); attempting to pull the image may not succeed.');
      assert.equal(event?.type, 'Warning');
      assert.deepEqual(h.runtime.pulls(), [{ image: 'public:1' }]);
    } finally {
      await h.close();
    }
  });
});
