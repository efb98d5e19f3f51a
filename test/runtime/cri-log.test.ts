import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  CriLineEncoder,
  MAX_LOG_LINE_BYTES,
  formatCriLine,
  parseCriLine,
  readCriLog,
  rfc3339Nano,
  type ReadLogOptions,
} from '../../src/runtime/cri-log.js';
import { safeRemove } from '../../src/util/safe-remove.js';

const T1 = '2026-01-01T00:00:01.5Z';
const T2 = '2026-01-01T00:00:02.000000001Z';
const T3 = '2026-01-01T00:00:03Z';

describe('CRI log lines', () => {
  test('timestamps are RFC 3339 with nanoseconds, trailing zeros trimmed like Go', () => {
    const base = BigInt(Date.UTC(2026, 0, 1, 0, 0, 1)) * 1_000_000n;
    assert.equal(rfc3339Nano(base), '2026-01-01T00:00:01Z');
    assert.equal(rfc3339Nano(base + 500_000_000n), '2026-01-01T00:00:01.5Z');
    assert.equal(rfc3339Nano(base + 123_456_789n), '2026-01-01T00:00:01.123456789Z');
    assert.equal(rfc3339Nano(base + 1n), '2026-01-01T00:00:01.000000001Z');
  });

  test('format and parse round-trip; malformed lines are rejected', () => {
    const line = formatCriLine(T2, 'stderr', true, Buffer.from('a b  c'));
    assert.equal(line.toString(), `${T2} stderr P a b  c\n`);
    const entry = parseCriLine(line);
    assert.ok(entry);
    assert.equal(entry.time, T2);
    assert.equal(entry.stream, 'stderr');
    assert.equal(entry.partial, true);
    assert.equal(entry.content.toString(), 'a b  c');
    assert.equal(entry.timestampMs, Date.UTC(2026, 0, 1, 0, 0, 2) + 0.000001);
    assert.equal(parseCriLine(`${T1} stdout F`)?.content.length, 0);
    assert.equal(parseCriLine(`${T1} stdout F:x text`)?.content.toString(), 'text');
    assert.equal(parseCriLine('not a log line'), undefined);
    assert.equal(parseCriLine(`${T1} stdin F text`), undefined);
    assert.equal(parseCriLine(`yesterday stdout F text`), undefined);
    assert.equal(parseCriLine(`${T1} stdout X text`), undefined);
  });

  test('the encoder writes one F entry per line across chunk boundaries and drops \\r\\n', () => {
    const lines: string[] = [];
    const encoder = new CriLineEncoder('stdout', (l) => lines.push(l.toString()), () => T1);
    encoder.push(Buffer.from('hel'));
    encoder.push(Buffer.from('lo\nwor'));
    encoder.push(Buffer.from('ld\r\n\nlast'));
    assert.deepEqual(lines, [`${T1} stdout F hello\n`, `${T1} stdout F world\n`, `${T1} stdout F \n`]);
    encoder.end();
    assert.equal(lines[3], `${T1} stdout P last\n`);
    encoder.end();
    assert.equal(lines.length, 4);
  });

  test('the encoder cuts lines longer than 16 KiB into partial entries', () => {
    const lines: Buffer[] = [];
    const encoder = new CriLineEncoder('stderr', (l) => lines.push(l), () => T1);
    encoder.push(Buffer.alloc(MAX_LOG_LINE_BYTES * 2 + 10, 'x'));
    encoder.push(Buffer.from('\n'));
    const entries = lines.map((l) => parseCriLine(l)!);
    assert.deepEqual(entries.map((e) => [e.partial, e.content.length]), [
      [true, MAX_LOG_LINE_BYTES],
      [true, MAX_LOG_LINE_BYTES],
      [false, 10],
    ]);
  });
});

describe('reading logs like kubectl logs', () => {
  const lines = [
    `${T1} stdout F one`,
    `${T1} stderr F two`,
    `${T2} stdout P thr`,
    `${T2} stdout F ee`,
    `${T3} stdout F four`,
  ].join('\n') + '\n';

  async function withLog(t: { after(fn: () => Promise<void>): void }, content: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'k8ts-cri-log-'));
    t.after(() => safeRemove(dir, { unmount: true }));
    const path = join(dir, '0.log');
    await writeFile(path, content);
    return path;
  }

  async function read(path: string, opts: ReadLogOptions = {}): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await readCriLog(path, out, opts);
    return Buffer.concat(chunks).toString();
  }

  test('everything, partial entries joined', async (t) => {
    const path = await withLog(t, lines);
    assert.equal(await read(path), 'one\ntwo\nthree\nfour\n');
  });

  test('timestamps prefix each line, not the continuation of a partial one', async (t) => {
    const path = await withLog(t, lines);
    assert.equal(await read(path, { timestamps: true }), `${T1} one\n${T1} two\n${T2} three\n${T3} four\n`);
  });

  test('tailLines counts the lines of the file', async (t) => {
    const path = await withLog(t, lines);
    assert.equal(await read(path, { tailLines: 1 }), 'four\n');
    assert.equal(await read(path, { tailLines: 2 }), 'ee\nfour\n');
    assert.equal(await read(path, { tailLines: 0 }), '');
    assert.equal(await read(path, { tailLines: 100 }), 'one\ntwo\nthree\nfour\n');
  });

  test('sinceTime skips older entries; stream selects one stream', async (t) => {
    const path = await withLog(t, lines);
    assert.equal(await read(path, { sinceTime: Date.UTC(2026, 0, 1, 0, 0, 2) }), 'three\nfour\n');
    assert.equal(await read(path, { stream: 'stderr' }), 'two\n');
  });

  test('limitBytes cuts the output', async (t) => {
    const path = await withLog(t, lines);
    assert.equal(await read(path, { limitBytes: 6 }), 'one\ntw');
  });

  test('malformed lines are skipped; a last line without newline is still read', async (t) => {
    const path = await withLog(t, `garbage\n${T1} stdout F one\n${T1} stdout F two`);
    assert.equal(await read(path), 'one\ntwo\n');
  });

  test('follow: new lines are written until the container stops', async (t) => {
    const path = await withLog(t, `${T1} stdout F first\n`);
    let running = true;
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const done = readCriLog(path, out, { follow: true, isRunning: () => running });
    await waitUntil(() => text === 'first\n');
    await appendFile(path, `${T2} stdout F second\n`);
    await waitUntil(() => text === 'first\nsecond\n');
    await appendFile(path, `${T3} stdout F last\n`);
    running = false;
    await done;
    assert.equal(text, 'first\nsecond\nlast\n');
  });

  test('follow: a rotated file is followed into its successor', async (t) => {
    const path = await withLog(t, `${T1} stdout F old\n`);
    const controller = new AbortController();
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const done = readCriLog(path, out, { follow: true, isRunning: () => true, signal: controller.signal });
    await waitUntil(() => text === 'old\n');
    await rename(path, `${path}.20260101-000000`);
    await writeFile(path, `${T2} stdout F new\n`);
    await waitUntil(() => text === 'old\nnew\n');
    controller.abort();
    await done;
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
