// The SPDY/3.1 framing: frame round trips, header blocks compressed against the dictionary over one
// zlib stream per direction, and sessions talking to each other over a real loopback connection.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { SPDY3_DICTIONARY } from '../../src/agent/streaming/spdy/dictionary.js';
import { encodeFrame, FrameParser, Flags, RstStatus, Setting, SpdyProtocolError, type Frame } from '../../src/agent/streaming/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor, parseHeaders, serializeHeaders } from '../../src/agent/streaming/spdy/header-block.js';
import { SpdySession, DEFAULT_WINDOW, type SpdyStream } from '../../src/agent/streaming/spdy/session.js';

describe('dictionary', () => {
  test('has the length and edges of the SPDY/3 dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.deepEqual([...SPDY3_DICTIONARY.subarray(0, 11)], [0, 0, 0, 7, ...Buffer.from('options')]);
    assert.equal(SPDY3_DICTIONARY.subarray(-13).toString('latin1'), 'utf-,*,enq=0.');
    const origin = SPDY3_DICTIONARY.indexOf('origin');
    assert.deepEqual([...SPDY3_DICTIONARY.subarray(origin - 4, origin)], [0, 0, 0, 6]);
    assert.equal(SPDY3_DICTIONARY.subarray(origin + 6, origin + 9).toString('latin1'), '100');
  });
});

describe('frames', () => {
  const frames: Frame[] = [
    { type: 'data', streamId: 7, flags: Flags.Fin, data: Buffer.from('hello') },
    { type: 'data', streamId: 0x7fffffff, flags: 0, data: Buffer.alloc(0) },
    { type: 'synStream', streamId: 1, associatedStreamId: 0, priority: 5, flags: Flags.Fin, headerBlock: Buffer.from([1, 2, 3]) },
    { type: 'synReply', streamId: 3, flags: 0, headerBlock: Buffer.from([9]) },
    { type: 'headers', streamId: 3, flags: Flags.Fin, headerBlock: Buffer.from([4, 5]) },
    { type: 'rstStream', streamId: 5, status: RstStatus.Cancel },
    { type: 'settings', flags: 0, entries: [{ flags: 1, id: Setting.InitialWindowSize, value: 1 << 20 }, { flags: 0, id: 4, value: 100 }] },
    { type: 'ping', id: 0xfffffffe },
    { type: 'goAway', lastGoodStreamId: 9, status: 0 },
    { type: 'windowUpdate', streamId: 0, delta: 0x7fffffff },
    { type: 'unknown', controlType: 10, flags: 0, payload: Buffer.from('ignored') },
  ];

  test('every frame type survives encode and parse', () => {
    const parser = new FrameParser();
    const parsed = parser.push(Buffer.concat(frames.map(encodeFrame)));
    assert.deepEqual(parsed, frames);
  });

  test('frames split at every byte boundary are reassembled', () => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    const parser = new FrameParser();
    const parsed: Frame[] = [];
    for (let i = 0; i < wire.length; i++) parsed.push(...parser.push(wire.subarray(i, i + 1)));
    assert.deepEqual(parsed, frames);
  });

  test('control frames carry version 3 and the control bit; data frames do not', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    assert.deepEqual([...ping.subarray(0, 8)], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04]);
    const data = encodeFrame({ type: 'data', streamId: 3, flags: Flags.Fin, data: Buffer.from('ab') });
    assert.deepEqual([...data], [0, 0, 0, 3, 1, 0, 0, 2, 0x61, 0x62]);
  });

  test('another SPDY version is a protocol error', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    ping.writeUInt16BE(0x8002, 0);
    assert.throws(() => new FrameParser().push(ping), SpdyProtocolError);
  });
});

describe('header blocks', () => {
  test('serialize and parse: lower-case names, NUL-joined values', () => {
    const block = serializeHeaders({ StreamType: 'data', multi: ['a', 'b'] });
    assert.deepEqual(parseHeaders(block), { streamtype: ['data'], multi: ['a', 'b'] });
    assert.equal(block.readUInt32BE(0), 2);
  });

  test('compression uses the dictionary and one zlib stream for all blocks', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    const headers = { streamtype: 'error', port: '8080', requestid: '0' };
    const first = await compressor.compress(headers);
    const second = await compressor.compress(headers);
    // zlib header with FDICT set, followed by the dictionary's id.
    assert.equal(first[0], 0x78);
    assert.ok(first[1]! & 0x20, 'FDICT flag');
    assert.ok(second.length < first.length, 'the second block refers back to the first');
    assert.deepEqual(await decompressor.decompress(first), { streamtype: ['error'], port: ['8080'], requestid: ['0'] });
    assert.deepEqual(await decompressor.decompress(second), { streamtype: ['error'], port: ['8080'], requestid: ['0'] });
    const fresh = new HeaderDecompressor();
    await assert.rejects(fresh.decompress(second), SpdyProtocolError);
    fresh.close();
    compressor.close();
    decompressor.close();
  });
});

async function sessionPair(t: { after(fn: () => unknown): void }): Promise<{ server: SpdySession; client: SpdySession; serverSocket: net.Socket; clientSocket: net.Socket }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = once(listener, 'connection');
  const clientSocket = net.connect(port, '127.0.0.1');
  const [serverSocket] = (await accepted) as [net.Socket];
  listener.close();
  const server = new SpdySession(serverSocket, { role: 'server' });
  const client = new SpdySession(clientSocket, { role: 'client' });
  t.after(() => {
    server.destroy();
    client.destroy();
  });
  return { server, client, serverSocket, clientSocket };
}

/** Reads to the end without destroying the stream (an async iterator would, write side included). */
function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

describe('sessions', () => {
  test('a client stream is replied to and carries data both ways until both sides finish', async (t) => {
    const { server, client } = await sessionPair(t);
    server.on('stream', (s) => {
      assert.equal(s.header('StreamType'), 'stdout');
      s.accept();
      void readAll(s).then((text) => s.end(`echo:${text}`));
    });
    const stream = client.openStream({ streamType: 'stdout' });
    assert.equal(stream.id, 1);
    await stream.waitForReply();
    stream.end('ping');
    assert.equal(await readAll(stream), 'echo:ping');
  });

  test('stream ids: clients open odd ones, servers even ones', async (t) => {
    const { server, client } = await sessionPair(t);
    const ids: number[] = [];
    server.on('stream', (s) => ids.push(s.id));
    const fromServer = once(client, 'stream');
    client.openStream({ a: '1' }).end();
    client.openStream({ a: '2' }).end();
    assert.equal(server.openStream({ b: '1' }).id, 2);
    const [pushed] = (await fromServer) as [SpdyStream];
    assert.equal(pushed.id, 2);
    assert.equal(pushed.header('b'), '1');
    await client.ping();
    assert.deepEqual(ids, [1, 3]);
  });

  test('refusing a stream resets it on the peer', async (t) => {
    const { server, client } = await sessionPair(t);
    server.on('stream', (s) => s.refuse(RstStatus.RefusedStream));
    const stream = client.openStream({ x: 'y' });
    await assert.rejects(stream.waitForReply(), /reset|closed/);
  });

  test('pings are answered', async (t) => {
    const { client } = await sessionPair(t);
    await client.ping();
    await client.ping();
  });

  test('a closed transport ends every stream; writes after it go nowhere', async (t) => {
    const { server, client, clientSocket } = await sessionPair(t);
    const accepted = once(server, 'stream');
    const stream = client.openStream({ x: 'y' });
    const [remote] = (await accepted) as [SpdyStream];
    remote.accept();
    const ended = readAll(remote);
    const closed = once(server, 'close');
    clientSocket.destroy();
    assert.equal(await ended, '');
    await closed;
    assert.ok(server.closed);
    assert.ok(remote.abandoned);
    await new Promise<void>((resolve, reject) => remote.write('late', (err) => (err ? reject(err) : resolve())));
    assert.equal(await readAll(stream), '');
  });

  test('GOAWAY refuses new streams', async (t) => {
    const { server, client } = await sessionPair(t);
    const goaway = once(client, 'goaway');
    server.goAway(0);
    await goaway;
    assert.throws(() => client.openStream({ x: 'y' }), /closing/);
  });
});

/** The client end of a connection, speaking raw frames, to see exactly what a session sends. */
class RawPeer {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.parser.push(chunk));
      this.wake?.();
    });
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame));
  }

  async openStream(id: number, headers: Record<string, string>): Promise<void> {
    this.send({ type: 'synStream', streamId: id, associatedStreamId: 0, priority: 0, flags: 0, headerBlock: await this.compressor.compress(headers) });
  }

  /** Waits for the first frame matching `match` and takes it out of what was received. */
  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) {
        const [frame] = this.frames.splice(i, 1);
        if (frame!.type === 'synReply') await this.decompressor.decompress(frame!.headerBlock);
        return frame!;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Data bytes received on `streamId` until FIN, or until `limit` bytes. */
  async receive(streamId: number, limit = Infinity): Promise<{ bytes: number; fin: boolean }> {
    let bytes = 0;
    while (bytes < limit) {
      const f = await this.next((x) => x.type === 'data' && x.streamId === streamId);
      if (f.type !== 'data') continue;
      bytes += f.data.length;
      if (f.flags & Flags.Fin) return { bytes, fin: true };
    }
    return { bytes, fin: false };
  }
}

async function rawPair(t: { after(fn: () => unknown): void }): Promise<{ server: SpdySession; peer: RawPeer }> {
  const { server, clientSocket, client } = await sessionPair(t);
  // Take the client's socket over: frames from here on are written by hand.
  clientSocket.removeAllListeners('data');
  void client;
  return { server, peer: new RawPeer(clientSocket) };
}

describe('end of connection', () => {
  test('frames that arrive together with the end of the connection are still delivered', async (t) => {
    const { server, peer } = await rawPair(t);
    const received = new Promise<string>((resolve) => server.on('stream', (s) => void readAll(s).then(resolve)));
    const compressor = new HeaderCompressor();
    const syn = encodeFrame({ type: 'synStream', streamId: 1, associatedStreamId: 0, priority: 0, flags: 0, headerBlock: await compressor.compress({ streamtype: 'stdin' }) });
    const data = encodeFrame({ type: 'data', streamId: 1, flags: Flags.Fin, data: Buffer.from('last words') });
    peer.socket.end(Buffer.concat([syn, data]));
    assert.equal(await received, 'last words');
    compressor.close();
  });
});

describe('idle timeout', () => {
  test('a session with no frames either way for the idle timeout is closed', async (t) => {
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const accepted = once(listener, 'connection');
    const socket = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
    const [serverSocket] = (await accepted) as [net.Socket];
    listener.close();
    t.after(() => socket.destroy());
    const session = new SpdySession(serverSocket, { role: 'server', idleTimeoutMs: 50 });
    const [err] = (await once(session, 'close')) as [Error];
    assert.match(err.message, /idle for 50 ms/);
    await once(socket, 'close');
  });
});

describe('protocol errors', () => {
  test('a peer stream with the wrong parity or a reused id is reset with PROTOCOL_ERROR', async (t) => {
    const { server, peer } = await rawPair(t);
    const opened: number[] = [];
    server.on('stream', (s) => opened.push(s.id));
    await peer.openStream(2, { streamtype: 'data' });
    const first = await peer.next((f) => f.type === 'rstStream');
    assert.deepEqual(first, { type: 'rstStream', streamId: 2, status: RstStatus.ProtocolError });
    await peer.openStream(5, { streamtype: 'data' });
    await peer.openStream(3, { streamtype: 'data' });
    const second = await peer.next((f) => f.type === 'rstStream');
    assert.deepEqual(second, { type: 'rstStream', streamId: 3, status: RstStatus.ProtocolError });
    assert.deepEqual(opened, [5]);
  });

  test('a header block that does not decompress ends the session with GOAWAY', async (t) => {
    const { server, peer } = await rawPair(t);
    const closed = once(server, 'close');
    peer.send({ type: 'synStream', streamId: 1, associatedStreamId: 0, priority: 0, flags: 0, headerBlock: Buffer.from('not zlib at all') });
    const goaway = await peer.next((f) => f.type === 'goAway');
    assert.deepEqual(goaway, { type: 'goAway', lastGoodStreamId: 0, status: 1 });
    const [err] = (await closed) as [Error];
    assert.match(err.message, /does not decompress/);
  });
});

describe('flow control', () => {
  test('a peer that never updates windows still receives large writes (spdystream never does)', async (t) => {
    const { server, peer } = await rawPair(t);
    const big = Buffer.alloc(4 * DEFAULT_WINDOW, 7);
    server.on('stream', (s) => s.end(big));
    await peer.openStream(1, { streamtype: 'stdout' });
    await peer.next((f) => f.type === 'synReply' && f.streamId === 1);
    assert.deepEqual(await peer.receive(1), { bytes: big.length, fin: true });
  });

  test('once the peer takes part, sending stops at its window and resumes on WINDOW_UPDATE', async (t) => {
    const { server, peer } = await rawPair(t);
    peer.send({ type: 'settings', flags: 0, entries: [{ flags: 0, id: Setting.InitialWindowSize, value: 1000 }] });
    let written = false;
    let serverStream: SpdyStream | undefined;
    server.on('stream', (s) => {
      serverStream = s;
      s.write(Buffer.alloc(5000, 1), () => (written = true));
      s.end();
    });
    await peer.openStream(1, { streamtype: 'data' });
    assert.deepEqual(await peer.receive(1, 1000), { bytes: 1000, fin: false });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(written, false, 'the write waits for the window');
    assert.equal(serverStream!.sendWindow, 0);
    peer.send({ type: 'windowUpdate', streamId: 1, delta: 4000 });
    assert.deepEqual(await peer.receive(1), { bytes: 4000, fin: true });
    assert.equal(written, true);
  });

  test('consumed data is returned to the peer with WINDOW_UPDATE, per stream and per session', async (t) => {
    const { server, peer } = await rawPair(t);
    const received = new Promise<string>((resolve) => server.on('stream', (s) => void readAll(s).then(resolve)));
    await peer.openStream(1, { streamtype: 'stdin' });
    for (let i = 0; i < 5; i++) peer.send({ type: 'data', streamId: 1, flags: 0, data: Buffer.alloc(10_000, 0x61) });
    const streamUpdate = await peer.next((f) => f.type === 'windowUpdate' && f.streamId === 1);
    assert.ok(streamUpdate.type === 'windowUpdate' && streamUpdate.delta >= DEFAULT_WINDOW / 2);
    const sessionUpdate = await peer.next((f) => f.type === 'windowUpdate' && f.streamId === 0);
    assert.ok(sessionUpdate.type === 'windowUpdate' && sessionUpdate.delta >= DEFAULT_WINDOW / 2);
    peer.send({ type: 'data', streamId: 1, flags: Flags.Fin, data: Buffer.alloc(0) });
    assert.equal((await received).length, 50_000);
  });
});
