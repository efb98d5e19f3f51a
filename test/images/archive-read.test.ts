import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildBusyboxImage, dockerArchive, ociArchive, readArchiveContents, readTar, writeTar } from '../../src/images/index.js';
import { headerSize } from '../../src/images/tar.js';

test('archives tell their format and the names of their images; anything else is refused with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = buildBusyboxImage({ cmd: ['sh'] });
  const named = [{ name: 'busybox:1.28', image }, { name: '127.0.0.1:5000/team/app:v1', image }];
  writeFileSync(join(dir, 'oci.tar'), ociArchive(named));
  writeFileSync(join(dir, 'docker.tar'), dockerArchive(named));
  assert.deepEqual(await readArchiveContents(join(dir, 'oci.tar')), { format: 'oci-archive', names: ['docker.io/library/busybox:1.28', '127.0.0.1:5000/team/app:v1'] });
  assert.deepEqual(await readArchiveContents(join(dir, 'docker.tar')), { format: 'docker-archive', names: ['docker.io/library/busybox:1.28', '127.0.0.1:5000/team/app:v1'] });

  writeFileSync(join(dir, 'text.tar'), 'hello, not a tar');
  await assert.rejects(readArchiveContents(join(dir, 'text.tar')), /text\.tar is not a tar archive/);
  writeFileSync(join(dir, 'other.tar'), writeTar([{ type: 'file', path: 'README', content: Buffer.from('x') }]));
  await assert.rejects(readArchiveContents(join(dir, 'other.tar')), /neither an OCI archive \(oci-layout, index\.json\) nor a docker-archive \(manifest\.json\)/);
  writeFileSync(join(dir, 'badjson.tar'), writeTar([{ type: 'file', path: 'manifest.json', content: Buffer.from('{') }]));
  await assert.rejects(readArchiveContents(join(dir, 'badjson.tar')), /manifest\.json is not valid JSON/);
});

/** `tar` with the first header's size field replaced by `field` and its checksum made right again. */
function withSizeField(tar: Buffer, field: Buffer): Buffer {
  const out = Buffer.from(tar);
  field.copy(out, 124);
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[i]!;
  Buffer.from(sum.toString(8).padStart(6, '0') + '\0 ').copy(out, 148);
  return out;
}

test('a header whose size is negative, not octal or past the end of the file is refused, not walked', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-archive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tar = writeTar([
    { type: 'file', path: 'a', content: Buffer.alloc(2000, 1) },
    { type: 'file', path: 'manifest.json', content: Buffer.from('[]') },
  ]);
  const cases: [string, Buffer][] = [
    ['negative', Buffer.from('-0004000000\0')],
    ['not octal', Buffer.from('00000009999\0')],
    ['past the end', Buffer.from('77777777777\0')],
    ['negative base-256', Buffer.from([0xff, ...Array(11).fill(0xff)])],
  ];
  for (const [name, field] of cases) {
    const file = join(dir, `${name}.tar`);
    writeFileSync(file, withSizeField(tar, field));
    await assert.rejects(readArchiveContents(file), /is not a tar archive: the entry "a" has an invalid size/, name);
    assert.throws(() => readTar(withSizeField(tar, field)), /tar: invalid size field in the header at offset 0/, name);
  }
});

test('a size in GNU base-256 form is read as the number it encodes', () => {
  const tar = writeTar([{ type: 'file', path: 'a', content: Buffer.alloc(2000, 1) }]);
  const field = Buffer.alloc(12);
  field[0] = 0x80;
  field.writeUInt16BE(2000, 10);
  assert.equal(headerSize(withSizeField(tar, field)), 2000);
  assert.deepEqual(readTar(withSizeField(tar, field)).map((e) => e.type === 'file' && e.content.length), [2000]);
});
