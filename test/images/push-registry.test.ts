import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { buildBusyboxImage, pushImage, RegistryError, sha256Digest } from '../../src/images/index.js';
import { startTestRegistry } from '../helpers/registry.js';

const noRegistry = existsSync('/usr/bin/docker-registry') ? false : 'docker-registry is not installed';

test('a pushed image reads back from the registry with the same digests', { skip: noRegistry }, async (t) => {
  const registry = await startTestRegistry();
  t.after(() => registry.stop());
  const image = buildBusyboxImage({ cmd: ['sh'] });
  assert.equal(await registry.pushImage('k8ts/busybox:1.28', image), `${registry.host}/k8ts/busybox:1.28`);
  const res = await fetch(`http://${registry.host}/v2/k8ts/busybox/manifests/1.28`, { headers: { accept: image.manifest.mediaType } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-content-digest'), image.manifest.digest);
  const layer = Buffer.from(await (await fetch(`http://${registry.host}/v2/k8ts/busybox/blobs/${image.layers[0].digest}`)).arrayBuffer());
  assert.equal(sha256Digest(layer), image.layers[0].digest);
  // A second push finds the blobs there and only puts the manifest again.
  await pushImage(image, { registry: `http://${registry.host}`, repository: 'k8ts/busybox', tag: 'again' });
  const tags = (await (await fetch(`http://${registry.host}/v2/k8ts/busybox/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags.sort(), ['1.28', 'again']);
});

test('a registry with htpasswd refuses anonymous and wrong pushes and takes the right account', { skip: noRegistry }, async (t) => {
  const credentials = { username: 'pusher', password: `pw-${process.pid}` };
  const registry = await startTestRegistry({ credentials });
  t.after(() => registry.stop());
  const image = buildBusyboxImage({ cmd: ['sh'] });
  const anonymous = await fetch(`http://${registry.host}/v2/`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="k8ts-test-registry"/);
  await assert.rejects(pushImage(image, { registry: `http://${registry.host}`, repository: 'private/app', tag: 'v1' }), (err: RegistryError) => err.status === 401);
  await assert.rejects(
    pushImage(image, { registry: `http://${registry.host}`, repository: 'private/app', tag: 'v1', credentials: { ...credentials, password: 'wrong' } }),
    (err: RegistryError) => err.status === 401,
  );
  await registry.pushImage('private/app:v1', image);
  const auth = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const res = await fetch(`http://${registry.host}/v2/private/app/manifests/v1`, { headers: { accept: image.manifest.mediaType, authorization: auth } });
  assert.equal(res.headers.get('docker-content-digest'), image.manifest.digest);
});
