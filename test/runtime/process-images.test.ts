// Image profiles of the process runtime with globs: how patterns are normalized, which profile
// stands for a reference (exact beats glob, the most specific glob wins), and the message a
// container without a command gets when no profile stands for its image.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileImagePattern, bestImagePattern, normalizeImagePattern } from '../../src/runtime/process/image-patterns.js';
import { addImage, createProcessRuntime, ImageCatalog, listImages } from '../../src/runtime/process/index.js';
import { RuntimeError } from '../../src/runtime/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';

async function scratch(t: { after(fn: () => unknown): unknown }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-profiles-'));
  t.after(() => safeRemove(dir, { unmount: true }));
  return dir;
}

describe('image profile patterns', () => {
  test('patterns are normalized as references are, without a default tag after a wildcard', () => {
    assert.equal(normalizeImagePattern('busybox:*'), 'docker.io/library/busybox:*');
    assert.equal(normalizeImagePattern('*/nginx:*'), 'docker.io/*/nginx:*');
    assert.equal(normalizeImagePattern('registry.local/**'), 'registry.local/**');
    assert.equal(normalizeImagePattern('**/nginx:*'), '**/nginx:*');
    assert.equal(normalizeImagePattern('bitnami/nginx'), 'docker.io/bitnami/nginx:latest');
    assert.equal(normalizeImagePattern('busybox*'), 'docker.io/library/busybox*');
    assert.throws(() => normalizeImagePattern('bad name*'), /invalid image name/);
    assert.throws(() => normalizeImagePattern('a/***'), /invalid image pattern "a\/\*\*\*": use \* or \*\*/);
  });

  test('* stays within a path component, ** crosses them, ? is one character', () => {
    const one = compileImagePattern('docker.io/*/nginx:*');
    assert.ok(one.matches('docker.io/library/nginx:latest'));
    assert.ok(one.matches('docker.io/bitnami/nginx:1.25'));
    assert.ok(!one.matches('docker.io/a/b/nginx:1'));
    assert.ok(!one.matches('registry.local/x/nginx:1'));
    const deep = compileImagePattern('registry.local/**');
    assert.ok(deep.matches('registry.local/team/app:v1'));
    assert.ok(!deep.matches('registry.localhost/app:v1'));
    const single = compileImagePattern('docker.io/library/busybox:1.?');
    assert.ok(single.matches('docker.io/library/busybox:1.8'));
    assert.ok(!single.matches('docker.io/library/busybox:1.28'));
    // Characters that mean something in regular expressions are literal in patterns.
    assert.ok(!compileImagePattern('docker.io/library/a.b:*').matches('docker.io/library/aXb:1'));
  });

  test('the most specific match wins: most literal characters, then fewest wildcards, then name order', () => {
    const patterns = ['**', 'docker.io/**', 'docker.io/*/nginx:*', 'docker.io/library/nginx:*', 'docker.io/library/nginx:1.*'].map(compileImagePattern);
    assert.equal(bestImagePattern(patterns, 'docker.io/library/nginx:1.25')?.name, 'docker.io/library/nginx:1.*');
    assert.equal(bestImagePattern(patterns, 'docker.io/library/nginx:latest')?.name, 'docker.io/library/nginx:*');
    assert.equal(bestImagePattern(patterns, 'docker.io/bitnami/nginx:2')?.name, 'docker.io/*/nginx:*');
    assert.equal(bestImagePattern(patterns, 'quay.io/x:1')?.name, '**');
    assert.equal(bestImagePattern(patterns.slice(1), 'quay.io/x:1'), undefined);
    const tie = ['docker.io/library/a*:1', 'docker.io/library/a?:1', 'docker.io/library/*b:1'].map(compileImagePattern);
    assert.equal(bestImagePattern(tie, 'docker.io/library/ab:1')?.name, 'docker.io/library/*b:1', 'equal literals and wildcards: the first name');
    const fewer = ['docker.io/library/?*:1', 'docker.io/library/*:1'].map(compileImagePattern);
    assert.equal(bestImagePattern(fewer, 'docker.io/library/ab:1')?.name, 'docker.io/library/*:1', 'as many literals: fewer wildcards');
  });
});

describe('image catalogue with glob profiles', () => {
  test('an exact profile beats a glob; a glob gives the image its settings under its own name', async (t) => {
    const dir = await scratch(t);
    await addImage(dir, 'busybox:*', { cmd: ['sh'], env: ['FROM=glob'] });
    await addImage(dir, 'busybox:1.28', { cmd: ['ash'] });
    await addImage(dir, '*/nginx:*', { cmd: ['httpd', '-f'] });
    const catalog = await ImageCatalog.load(join(dir, 'images'));
    assert.deepEqual(catalog.get('busybox:1.28')?.cmd, ['ash']);
    const viaGlob = catalog.get('busybox:1.36');
    assert.equal(viaGlob?.name, 'docker.io/library/busybox:1.36');
    assert.equal(viaGlob?.profile, 'docker.io/library/busybox:*');
    assert.deepEqual(viaGlob?.env, ['FROM=glob']);
    assert.equal(catalog.get('docker.io/library/nginx')?.profile, 'docker.io/*/nginx:*', 'nginx is docker.io/library/nginx:latest');
    assert.equal(catalog.get('registry.local/nginx:1'), undefined);
    assert.deepEqual(catalog.list().map((r) => r.name), ['docker.io/library/busybox:1.28'], 'patterns are profiles, not images');
    assert.deepEqual((await listImages(dir)).map((r) => r.name), ['docker.io/*/nginx:*', 'docker.io/library/busybox:*', 'docker.io/library/busybox:1.28']);
  });

  test('a record without settings (a pulled host image) gives way to a matching glob', async (t) => {
    const dir = await scratch(t);
    await addImage(dir, 'nginx:1.25');
    await addImage(dir, 'nginx:*', { cmd: ['httpd', '-f'] });
    const catalog = await ImageCatalog.load(join(dir, 'images'));
    assert.deepEqual(catalog.get('nginx:1.25')?.cmd, ['httpd', '-f']);
  });

  test('profile files written by hand are normalized; broken ones are skipped', async (t) => {
    const dir = await scratch(t);
    await mkdir(join(dir, 'images'));
    await writeFile(join(dir, 'images', 'a.json'), JSON.stringify({ name: 'registry.local/**', entrypoint: ['/bin/app'] }));
    await writeFile(join(dir, 'images', 'b.json'), '{ not json');
    const catalog = await ImageCatalog.load(join(dir, 'images'));
    assert.deepEqual(catalog.get('registry.local/team/app:v2')?.entrypoint, ['/bin/app']);
    assert.deepEqual(catalog.profiles().map((r) => r.name), ['registry.local/**']);
  });
});

describe('a container without a command and without a profile', { skip: process.getuid?.() !== 0 ? 'the process runtime needs root' : undefined }, () => {
  test('fails to be created, naming its image and the profiles consulted', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-profiles-'));
    let runtime: Awaited<ReturnType<typeof createProcessRuntime>> | undefined;
    t.after(async () => {
      await runtime?.removeAll();
      await runtime?.close();
      await safeRemove(dir, { unmount: true });
    });
    await addImage(dir, 'busybox:*', { cmd: ['sh'] });
    await addImage(dir, 'registry.local/**', { env: ['A=b'] });
    runtime = await createProcessRuntime({ rootDir: dir, network: null });
    const sandbox = sandboxConfig('profiles', join(dir, 'logs'), { podUid: `profiles-${process.pid}`, hostNetwork: true });
    const sandboxId = await runtime.runPodSandbox(sandbox);
    const config = (image: string, command: string[] = []) => containerConfig('web', command, { image });
    await assert.rejects(runtime.createContainer(sandboxId, config('nginx:1.25'), sandbox), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.code, 'InvalidArgument');
      assert.equal(
        err.message,
        'failed to generate container "web" spec: no command specified: no image profile on this node stands for "docker.io/library/nginx:1.25" (profiles consulted: docker.io/library/busybox:*, registry.local/**), and the container names no command',
      );
      return true;
    });
    await assert.rejects(runtime.createContainer(sandboxId, config('registry.local/app'), sandbox), /the image profile "registry.local\/\*\*" names no entrypoint or cmd, and the container names no command$/);
    // The glob's cmd runs when the container names no command; a command runs on a host image.
    assert.ok(await runtime.createContainer(sandboxId, config('busybox:1.36'), sandbox));
    assert.ok(await runtime.createContainer(sandboxId, config('nginx:1.25', ['sleep', '1']), sandbox));
  });
});
