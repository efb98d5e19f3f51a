import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import {
  buildBusyboxImage,
  buildImage,
  buildLayer,
  buildPauseImage,
  dockerArchive,
  entriesFromDirectory,
  ociArchive,
  readTar,
  sha256Digest,
  writeOciLayout,
  writeTar,
} from '../../src/images/index.js';

function scratch(t: { after(fn: () => unknown): unknown }): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the same files give the same layer and image digests, whatever their host times and order', async (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  writeFileSync(join(dir, 'a/b/file.txt'), 'hello\n');
  writeFileSync(join(dir, 'top.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  const first = buildLayer(await entriesFromDirectory(dir));
  utimesSync(join(dir, 'a/b/file.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const second = buildLayer((await entriesFromDirectory(dir)).reverse());
  assert.equal(second.digest, first.digest);
  assert.equal(second.diffId, first.diffId);
  const config = { cmd: ['sh'], env: ['A=1'], exposedPorts: ['80/tcp'], labels: { b: '2', a: '1' }, stopSignal: 'SIGQUIT', workingDir: '/a' };
  assert.equal(buildImage({ layers: [first], config }).manifest.digest, buildImage({ layers: [second], config }).manifest.digest);

  writeFileSync(join(dir, 'a/b/file.txt'), 'hello!\n');
  const changed = buildLayer(await entriesFromDirectory(dir));
  assert.notEqual(changed.digest, first.digest);
  assert.notEqual(buildImage({ layers: [changed], config }).manifest.digest, buildImage({ layers: [first], config }).manifest.digest);
});

test('busybox and pause images are reproducible', () => {
  assert.equal(buildBusyboxImage().manifest.digest, buildBusyboxImage().manifest.digest);
  assert.equal(buildPauseImage().manifest.digest, buildPauseImage().manifest.digest);
  assert.notEqual(buildBusyboxImage({ cmd: ['sh'] }).manifest.digest, buildBusyboxImage({ cmd: ['sleep', '1'] }).manifest.digest);
});

test('layers are gzip with a fixed header and a tar that GNU tar lists as root-owned at the epoch', (t) => {
  const dir = scratch(t);
  const long = `${'d'.repeat(90)}/${'e'.repeat(60)}/file`;
  const layer = buildLayer([
    { type: 'file', path: 'etc/hello', content: Buffer.from('hi\n') },
    { type: 'file', path: long, content: Buffer.from('long\n') },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ]);
  assert.deepEqual([...layer.blob.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
  assert.equal(layer.blob.readUInt32LE(4), 0, 'mtime in the gzip header');
  assert.equal(layer.blob[9], 255, 'OS in the gzip header');
  const tar = gunzipSync(layer.blob);
  assert.equal(sha256Digest(tar), layer.diffId);
  assert.equal(sha256Digest(layer.blob), layer.digest);
  writeFileSync(join(dir, 'layer.tar'), tar);
  const listing = execFileSync('tar', ['-tvf', join(dir, 'layer.tar'), '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
  const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
  assert.deepEqual(names, [...names].sort(), 'entries sorted');
  assert.ok(names.includes('bin/sh -> busybox'), listing.join('\n'));
  assert.ok(names.includes(long), 'long path kept through the ustar prefix');
  assert.ok(names.includes('etc/'), 'parent directories added');
  for (const line of listing) assert.match(line, / 0\/0 .* 1970-01-01 00:00 /);
  assert.match(listing.find((l) => l.endsWith(' tmp/'))!, /^drwxrwxrwt/);
  execFileSync('tar', ['-xf', join(dir, 'layer.tar'), '-C', dir]);
  assert.equal(readFileSync(join(dir, long), 'utf8'), 'long\n');
  assert.deepEqual(readTar(tar).map((e) => e.path), names.map((n) => n.replace(/ -> .*$/, '').replace(/\/$/, '')));
});

test('duplicate paths and paths climbing out of the layer are refused', () => {
  assert.throws(() => writeTar([{ type: 'dir', path: 'a' }, { type: 'dir', path: 'a' }]), /duplicate entry a/);
  assert.throws(() => buildLayer([{ type: 'file', path: '../etc/passwd', content: Buffer.alloc(0) }]), /invalid layer path/);
});

test('image config and manifest carry what was asked, with diff ids and layer digests', () => {
  const layer = buildLayer([{ type: 'file', path: 'x', content: Buffer.from('x') }]);
  const image = buildImage({
    layers: [layer],
    config: { entrypoint: ['/x'], cmd: ['a'], env: ['K=V'], workingDir: '/w', exposedPorts: ['80/tcp'], stopSignal: 'SIGQUIT', labels: { l: 'v' } },
  });
  const config = JSON.parse(image.configJson.toString());
  assert.deepEqual(config.config, { ExposedPorts: { '80/tcp': {} }, Env: ['K=V'], Entrypoint: ['/x'], Cmd: ['a'], WorkingDir: '/w', Labels: { l: 'v' }, StopSignal: 'SIGQUIT' });
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [layer.diffId] });
  const manifest = JSON.parse(image.manifestJson.toString());
  assert.equal(manifest.config.digest, sha256Digest(image.configJson));
  assert.deepEqual(manifest.layers, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size: layer.size }]);
  assert.equal(image.manifest.digest, sha256Digest(image.manifestJson));
});

test('OCI layout and archives name every image and hold every blob under its digest', async (t) => {
  const dir = scratch(t);
  const busybox = buildBusyboxImage();
  const pause = buildPauseImage();
  const named = [{ name: 'busybox:1.28', image: busybox }, { name: 'registry.k8s.io/pause:3.10', image: pause }];
  await writeOciLayout(join(dir, 'layout'), named);
  const index = JSON.parse(readFileSync(join(dir, 'layout/index.json'), 'utf8'));
  assert.deepEqual(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations), [
    { 'io.containerd.image.name': 'docker.io/library/busybox:1.28', 'org.opencontainers.image.ref.name': '1.28' },
    { 'io.containerd.image.name': 'registry.k8s.io/pause:3.10', 'org.opencontainers.image.ref.name': '3.10' },
  ]);
  for (const file of readdirSync(join(dir, 'layout/blobs/sha256'))) {
    assert.equal(sha256Digest(readFileSync(join(dir, 'layout/blobs/sha256', file))), `sha256:${file}`);
  }
  assert.equal(readdirSync(join(dir, 'layout/blobs/sha256')).length, new Set([...busybox.blobs.keys(), ...pause.blobs.keys()]).size);

  const oci = readTar(ociArchive(named));
  assert.deepEqual(JSON.parse(oci.find((e) => e.path === 'index.json')!.type === 'file' ? (oci.find((e) => e.path === 'index.json') as { content: Buffer }).content.toString() : ''), index);

  const docker = readTar(dockerArchive(named));
  const manifestEntry = docker.find((e) => e.path === 'manifest.json') as { content: Buffer };
  const manifest = JSON.parse(manifestEntry.content.toString());
  assert.deepEqual(manifest.map((m: { RepoTags: string[] }) => m.RepoTags), [['busybox:1.28'], ['registry.k8s.io/pause:3.10']]);
  const paths = new Set(docker.map((e) => e.path));
  for (const m of manifest) for (const p of [m.Config, ...m.Layers]) assert.ok(paths.has(p), `${p} in the archive`);
  assert.deepEqual(ociArchive(named), ociArchive(named));
});
