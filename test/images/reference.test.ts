import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeImageName, parseImageReference } from '../../src/images/index.js';

test('familiar names normalize to Docker Hub, with library/ and :latest', () => {
  assert.equal(normalizeImageName('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImageName('busybox:1.28'), 'docker.io/library/busybox:1.28');
  assert.equal(normalizeImageName('mirrorgooglecontainers/liveness'), 'docker.io/mirrorgooglecontainers/liveness:latest');
  assert.equal(normalizeImageName('index.docker.io/library/nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImageName('127.0.0.1:5000/app:v1'), '127.0.0.1:5000/app:v1');
  assert.equal(normalizeImageName('localhost/app'), 'localhost/app:latest');
  assert.equal(normalizeImageName('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(normalizeImageName(`nginx@${digest}`), `docker.io/library/nginx@${digest}`);
  assert.deepEqual(parseImageReference(`nginx:1.25@${digest}`), { domain: 'docker.io', path: 'library/nginx', tag: '1.25', digest });
});

test('invalid references are refused with the reference parser messages', () => {
  assert.throws(() => parseImageReference('Busybox'), /repository name must be lowercase/);
  assert.throws(() => parseImageReference('busybox:'), /invalid reference format/);
  assert.throws(() => parseImageReference('bad image'), /invalid reference format/);
  assert.throws(() => parseImageReference('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
  assert.throws(() => parseImageReference('nginx@sha256:abc'), /invalid reference format/);
  assert.throws(() => parseImageReference(''), /at least one component/);
  assert.throws(() => parseImageReference(`x/${'a'.repeat(260)}`), /not be more than 255 characters/);
});
