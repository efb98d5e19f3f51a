import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetWritten, writeAtomically, type VolumeFile, type WrittenVolumes } from '../../src/kubelet/volumes/atomic-writer.js';

const files = (entries: Record<string, string>, mode = 0o644) => new Map<string, VolumeFile>(Object.entries(entries).map(([k, v]) => [k, { content: Buffer.from(v), mode }]));

test('an unchanged set is not rewritten, with or without the record of what was written', async () => {
  const root = await mkdtemp(join(tmpdir(), 'atomic-writer-'));
  try {
    const dir = join(root, 'vol');
    const written: WrittenVolumes = new Map();
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'A', token: 'T' }), written), true);
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'A', token: 'T' }), written), false);
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'A', token: 'T' })), false);
    // A new content, or a new mode, is written.
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }), written), true);
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), 'B');
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }, 0o600), written), true);
    assert.equal((await stat(join(dir, 'ca.crt'))).mode & 0o777, 0o600);
    // A file changed or added behind the writer's back: written again.
    const version = (await readlink(join(dir, '..data')));
    await writeFile(join(dir, version, 'token'), 'changed');
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }, 0o600), written), true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'T');
    await writeFile(join(dir, await readlink(join(dir, '..data')), 'extra'), 'x');
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }, 0o600), written), true);
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }, 0o600), written), false);
    // Removed behind the writer's back: written again.
    await rm(dir, { recursive: true });
    assert.equal(await writeAtomically(dir, files({ 'ca.crt': 'B', token: 'T' }, 0o600), written), true);
    assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'T');
    forgetWritten(written, root);
    assert.equal(written.size, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a new directory gets the layout and modes of a rewrite: nested paths, modes the umask would narrow, an empty set', async () => {
  const root = await mkdtemp(join(tmpdir(), 'atomic-writer-'));
  try {
    const written: WrittenVolumes = new Map();
    const set = new Map<string, VolumeFile>([
      ['token', { content: Buffer.from('T'), mode: 0o600 }],
      ['config/app/settings', { content: Buffer.from('S'), mode: 0o666 }],
      ['config/run', { content: Buffer.from('R'), mode: 0o755 }],
    ]);
    const fresh = join(root, 'fresh');
    assert.equal(await writeAtomically(fresh, set, written), true);
    const version = await readlink(join(fresh, '..data'));
    assert.match(version, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.[0-9a-f]{8}$/);
    assert.equal(await readlink(join(fresh, 'token')), join('..data', 'token'));
    assert.equal(await readlink(join(fresh, 'config')), join('..data', 'config'));
    assert.deepEqual((await readdir(fresh)).sort(), ['..data', version, 'config', 'token'].sort());
    assert.equal(await readFile(join(fresh, 'config', 'app', 'settings'), 'utf8'), 'S');
    assert.equal((await stat(join(fresh, 'token'))).mode & 0o7777, 0o600);
    assert.equal((await stat(join(fresh, 'config', 'app', 'settings'))).mode & 0o7777, 0o666);
    assert.equal((await stat(join(fresh, 'config', 'run'))).mode & 0o7777, 0o755);
    // The record of the fresh write detects a change on disk, in a nested file too.
    assert.equal(await writeAtomically(fresh, set, written), false);
    await writeFile(join(fresh, version, 'config', 'app', 'settings'), 'changed');
    assert.equal(await writeAtomically(fresh, set, written), true);
    assert.equal(await readFile(join(fresh, 'config', 'app', 'settings'), 'utf8'), 'S');
    assert.equal(await writeAtomically(fresh, set, written), false);
    // Without a record, the layout of a fresh write is recognized as unchanged.
    assert.equal(await writeAtomically(fresh, set), false);

    const empty = join(root, 'empty');
    assert.equal(await writeAtomically(empty, new Map(), written), true);
    assert.deepEqual((await readdir(join(empty, await readlink(join(empty, '..data'))))), []);
    assert.equal(await writeAtomically(empty, new Map(), written), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the record of a volume holds a digest, not the contents: the same set in another order is unchanged, a renamed file is not', async () => {
  const root = await mkdtemp(join(tmpdir(), 'atomic-writer-'));
  try {
    const dir = join(root, 'vol');
    const written: WrittenVolumes = new Map();
    assert.equal(await writeAtomically(dir, files({ a: 'secret-content', b: 'B' }), written), true);
    const holdsBuffer = (v: unknown): boolean =>
      Buffer.isBuffer(v) || (v instanceof Map ? [...v.values()].some(holdsBuffer) : typeof v === 'object' && v !== null && Object.values(v).some(holdsBuffer));
    assert.equal(holdsBuffer(written), false);
    assert.equal(await writeAtomically(dir, files({ b: 'B', a: 'secret-content' }), written), false);
    assert.equal(await writeAtomically(dir, files({ c: 'secret-content', b: 'B' }), written), true);
    assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')).sort(), ['b', 'c']);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
