// The stream server on its own, behind a plain HTTP server, driven by hand-written clients: the
// WebSocket channel protocols (v5 close, v4 JSON status, base64 framing, resize), SPDY exec and
// port-forward details, and the answers given before upgrading.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex, Readable } from 'node:stream';
import { WebSocket } from 'ws';
import type { Pod } from '../../src/api/types.js';
import { createStreamServer } from '../../src/agent/streaming/index.js';
import { SpdySession, type SpdyStream } from '../../src/agent/streaming/spdy/session.js';
import { encodeFrame } from '../../src/agent/streaming/spdy/frames.js';
import type { Runtime, RuntimeContainer, StreamOptions, TerminalSize } from '../../src/runtime/types.js';

type ExecImpl = (command: string[], streams: StreamOptions) => Promise<number>;

/** The part of a runtime the stream server uses, scripted per test. */
class ScriptedRuntime {
  execImpl: ExecImpl = async () => 0;
  attachImpl: (streams: StreamOptions) => Promise<void> = async () => undefined;
  state: RuntimeContainer['state'] = 'RUNNING';
  upstreamPort = 0;

  exec(_id: string, command: string[], streams: StreamOptions): Promise<number> {
    return this.execImpl(command, streams);
  }
  async containerStatus(id: string): Promise<Pick<RuntimeContainer, 'id' | 'state'>> {
    return { id, state: this.state };
  }
  attach(_id: string, streams: StreamOptions): Promise<void> {
    return this.attachImpl(streams);
  }
  portForward(_sandboxId: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', (err) => reject(new Error(`dial tcp4 127.0.0.1:${port}: ${err.message}`)));
    });
  }
}

const pod = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { containers: [{ name: 'main' }] } } as unknown as Pod;

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

describe('stream server', () => {
  const runtime = new ScriptedRuntime();
  let server: http.Server;
  let base: string;
  let echo: net.Server;
  let echoPort: number;

  before(async () => {
    const streams = createStreamServer({
      runtime: runtime as unknown as Runtime,
      containerId: async (_pod, container) => (container === 'main' ? 'container-1' : undefined),
      sandboxId: async (uid) => (uid === 'uid-1' ? 'sandbox-1' : undefined),
      streamCreationTimeoutMs: 2_000,
    });
    server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url!, 'http://agent');
      const [kind, , , container = ''] = url.pathname.split('/').filter(Boolean);
      void streams.serve(kind as 'exec' | 'attach' | 'portForward', req, socket, head, { pod, container, query: url.searchParams });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    echo = net.createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as net.AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    echo.close();
  });

  /** Opens a WebSocket and records every message as [channel, payload]. */
  async function channels(path: string, protocols: string[]): Promise<{ ws: WebSocket; messages: [number, Buffer | string][]; closed: Promise<number> }> {
    const ws = new WebSocket(`ws://${base}${path}`, protocols);
    const messages: [number, Buffer | string][] = [];
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) messages.push([data[0]!, data.subarray(1)]);
      else messages.push([data.toString()[0]!.charCodeAt(0) - 48, data.toString().slice(1)]);
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await once(ws, 'open');
    return { ws, messages, closed };
  }

  const text = (messages: [number, Buffer | string][], channel: number) =>
    messages.filter(([c]) => c === channel).map(([, p]) => p.toString()).join('');

  test('WebSocket v5: ready message, stdin closed by [255, 0], output, JSON status, close 1000', async () => {
    runtime.execImpl = async (command, streams) => {
      assert.deepEqual(command, ['cat']);
      const input = await readAll(streams.stdin!);
      streams.stdout!.write(`got ${input}`);
      streams.stderr!.write('warn');
      return 2;
    };
    const { ws, messages, closed } = await channels('/exec/default/web/main?command=cat&stdin=true&stdout=true&stderr=true', ['v5.channel.k8s.io']);
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.from([0, ...Buffer.from('abc')]));
    ws.send(Buffer.from([255, 0]));
    assert.equal(await closed, 1000);
    assert.deepEqual(messages[0], [1, Buffer.alloc(0)]);
    assert.equal(text(messages, 1), 'got abc');
    assert.equal(text(messages, 2), 'warn');
    assert.equal(
      text(messages, 3),
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 2","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}}',
    );
    assert.equal(messages.at(-1)![0], 3, 'the status is the last message');
  });

  test('WebSocket v4: success is a JSON Success status', async () => {
    runtime.execImpl = async (_c, streams) => {
      streams.stdout!.write('ok');
      return 0;
    };
    const { messages, closed } = await channels('/exec/default/web/main?command=true&stdout=1', ['v4.channel.k8s.io']);
    await closed;
    assert.equal(text(messages, 1), 'ok');
    assert.equal(text(messages, 3), '{"metadata":{},"status":"Success"}');
  });

  test('base64.channel.k8s.io: text frames, and before v4 only a failure message on the error channel', async () => {
    runtime.execImpl = async (_c, streams) => {
      streams.stdout!.write(Buffer.from([0xff, 0x00, 0x41]));
      return 5;
    };
    const { ws, messages, closed } = await channels('/exec/default/web/main?command=x&stdout=true', ['base64.channel.k8s.io']);
    assert.equal(ws.protocol, 'base64.channel.k8s.io');
    await closed;
    const stdout = messages.filter(([c]) => c === 1).map(([, p]) => Buffer.from(p as string, 'base64'));
    assert.deepEqual(Buffer.concat(stdout), Buffer.from([0xff, 0x00, 0x41]));
    assert.equal(Buffer.from(text(messages, 3), 'base64').toString(), 'command terminated with non-zero exit code: exit status 5');
  });

  test('tty: resize messages on channel 4 reach the runtime as terminal sizes', async () => {
    runtime.execImpl = async (_c, streams) => {
      assert.equal(streams.tty, true);
      assert.equal(streams.stderr, undefined, 'no stderr with a tty');
      const sizes: TerminalSize[] = [];
      for await (const size of streams.resize!) {
        sizes.push(size);
        if (sizes.length === 2) break;
      }
      streams.stdout!.write(JSON.stringify(sizes));
      return 0;
    };
    const { ws, messages, closed } = await channels('/exec/default/web/main?command=sh&stdin=true&stdout=true&stderr=true&tty=true', ['v5.channel.k8s.io']);
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]));
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]));
    await closed;
    assert.equal(text(messages, 1), '[{"width":80,"height":24},{"width":120,"height":40}]');
  });

  test('a runtime failure is an InternalError status', async () => {
    runtime.execImpl = async () => {
      throw new Error('no such binary');
    };
    const { messages, closed } = await channels('/exec/default/web/main?command=x&stdout=true', ['v5.channel.k8s.io']);
    await closed;
    assert.equal(
      text(messages, 3),
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: no such binary","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: no such binary"}]},"code":500}',
    );
  });

  test('attach reports Success when the attachment ends', async () => {
    runtime.attachImpl = async (streams) => {
      streams.stdout!.write('attached');
    };
    const { messages, closed } = await channels('/attach/default/web/main?stdout=true', ['v5.channel.k8s.io']);
    await closed;
    assert.equal(text(messages, 1), 'attached');
    assert.equal(text(messages, 3), '{"metadata":{},"status":"Success"}');
  });

  /** Sends an upgrade request and returns the plain answer, for requests refused before upgrading. */
  function refusal(path: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`http://${base}${path}`, { method: headers.Upgrade === 'websocket' ? 'GET' : 'POST', headers: { Connection: 'Upgrade', ...headers } });
      req.on('response', (res) => void readAll(res).then((body) => resolve({ status: res.statusCode!, body, headers: res.headers })));
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
  }

  const websocketHeaders = (protocol: string) => ({ Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': protocol });

  test('refusals before upgrading, worded as the kubelet words them', async () => {
    const noStreams = await refusal('/exec/default/web/main?command=x', websocketHeaders('v5.channel.k8s.io'));
    assert.deepEqual([noStreams.status, noStreams.body], [400, 'you must specify at least 1 of stdin, stdout, stderr\n']);

    const noContainer = await refusal('/exec/default/web/other?command=x&stdout=true', websocketHeaders('v5.channel.k8s.io'));
    assert.deepEqual([noContainer.status, noContainer.body], [500, 'container not found ("other")\n']);

    runtime.state = 'EXITED';
    const exited = await refusal('/exec/default/web/main?command=x&stdout=true', websocketHeaders('v5.channel.k8s.io'));
    runtime.state = 'RUNNING';
    assert.deepEqual([exited.status, exited.body], [500, 'container not found ("main")\n']);

    const badProtocol = await refusal('/exec/default/web/main?command=x&stdout=true', websocketHeaders('v9.channel.k8s.io'));
    assert.equal(badProtocol.status, 403);
    assert.match(badProtocol.body, /requested protocol\(s\) are not supported: \[v9\.channel\.k8s\.io\]/);

    const spdy = await refusal('/exec/default/web/main?command=x&stdout=true', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
    assert.equal(spdy.status, 403);
    assert.equal(spdy.body, 'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n');
    assert.equal(spdy.headers['x-accepted-stream-protocol-versions'], 'v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io');

    const noPorts = await refusal('/portForward/default/web', websocketHeaders('v4.channel.k8s.io'));
    assert.deepEqual([noPorts.status, noPorts.body], [400, 'query parameter "port" is required\n']);
    const badPort = await refusal('/portForward/default/web?ports=http', websocketHeaders('v4.channel.k8s.io'));
    assert.deepEqual([badPort.status, badPort.body], [400, 'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax\n']);
  });

  /** A SPDY client session after a successful upgrade. */
  function spdy(path: string, protocols: string): Promise<{ session: SpdySession; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`http://${base}${path}`, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols } });
      req.on('upgrade', (res, socket, head) => resolve({ session: new SpdySession(socket, { role: 'client', head }), headers: res.headers }));
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  test('SPDY exec: v4 negotiated, one stream per standard stream, status on the error stream', async () => {
    runtime.execImpl = async (_c, streams) => {
      streams.stdout!.write(`echo ${await readAll(streams.stdin!)}`);
      return 7;
    };
    const { session, headers } = await spdy('/exec/default/web/main?command=cat&stdin=true&stdout=true', 'v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io');
    assert.equal(headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    assert.equal(headers.upgrade, 'SPDY/3.1');
    const error = session.openStream({ streamType: 'error' });
    error.end();
    const stdin = session.openStream({ streamType: 'stdin' });
    const stdout = session.openStream({ streamType: 'stdout' });
    const closed = once(session, 'close');
    await stdin.waitForReply();
    stdin.end('spdy');
    const [out, status] = await Promise.all([readAll(stdout), readAll(error)]);
    assert.equal(out, 'echo spdy');
    assert.deepEqual(JSON.parse(status), {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 7',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
    await closed;
  });

  test('SPDY exec with tty: a resize stream whose JSON sizes may be split across frames; no stderr stream', async () => {
    runtime.execImpl = async (_c, streams) => {
      assert.equal(streams.stderr, undefined, 'no stderr with a tty');
      const sizes: TerminalSize[] = [];
      for await (const size of streams.resize!) {
        sizes.push(size);
        if (sizes.length === 2) break;
      }
      streams.stdout!.write(JSON.stringify(sizes));
      return 0;
    };
    const { session } = await spdy('/exec/default/web/main?command=sh&stdin=true&stdout=true&stderr=true&tty=true', 'v4.channel.k8s.io');
    const error = session.openStream({ streamType: 'error' });
    error.end();
    const stdin = session.openStream({ streamType: 'stdin' });
    const stdout = session.openStream({ streamType: 'stdout' });
    const resize = session.openStream({ streamType: 'resize' });
    const closed = once(session, 'close');
    await resize.waitForReply();
    resize.write('{"Width":100,"Hei');
    resize.write('ght":30}{"Width":"wide","Height":1}');
    resize.write('{"Width":132,"Height":43}');
    const [out, status] = await Promise.all([readAll(stdout), readAll(error)]);
    assert.equal(out, '[{"width":100,"height":30},{"width":132,"height":43}]', 'the malformed size is skipped');
    assert.deepEqual(JSON.parse(status), { metadata: {}, status: 'Success' });
    stdin.end();
    resize.end();
    await closed;
  });

  test('v4.channel.k8s.io with tty: sizes on channel 4 reach the runtime', async () => {
    runtime.execImpl = async (_c, streams) => {
      for await (const size of streams.resize!) {
        streams.stdout!.write(`${size.height}x${size.width}`);
        break;
      }
      return 0;
    };
    const { ws, messages, closed } = await channels('/exec/default/web/main?command=sh&stdin=true&stdout=true&tty=true', ['v4.channel.k8s.io']);
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":90,"Height":25}')]));
    await closed;
    assert.equal(text(messages, 1), '25x90');
  });

  test('SPDY port-forward: paired streams by requestID, bad headers refused, dial errors on the error stream', async () => {
    const { session, headers } = await spdy('/portForward/default/web', 'portforward.k8s.io');
    assert.equal(headers['x-stream-protocol-version'], 'portforward.k8s.io');

    const noPort = session.openStream({ streamType: 'data', requestID: '9' });
    await assert.rejects(noPort.waitForReply());

    const open = (requestID: string, port: number): { data: SpdyStream; error: SpdyStream } => {
      const error = session.openStream({ streamType: 'error', port: String(port), requestID });
      error.end();
      const data = session.openStream({ streamType: 'data', port: String(port), requestID });
      return { data, error };
    };
    const first = open('0', echoPort);
    const second = open('1', echoPort);
    first.data.write('one');
    second.data.end('two');
    first.data.end();
    assert.deepEqual(await Promise.all([readAll(first.data), readAll(second.data), readAll(first.error)]), ['one', 'two', '']);

    const closedServer = net.createServer();
    closedServer.listen(0, '127.0.0.1');
    await once(closedServer, 'listening');
    const closedPort = (closedServer.address() as net.AddressInfo).port;
    await new Promise((r) => closedServer.close(r));
    const refused = open('2', closedPort);
    assert.match(await readAll(refused.error), new RegExp(`^error forwarding port ${closedPort} to pod sandbox-1, uid : dial tcp4 127\\.0\\.0\\.1:${closedPort}: connect ECONNREFUSED`));
    assert.equal(await readAll(refused.data), '');
    session.destroy();
  });

  test('port-forward over WebSocket channels: the port first on both channels, then data', async () => {
    const { ws, messages, closed } = await channels(`/portForward/default/web?ports=${echoPort}`, ['v4.channel.k8s.io']);
    assert.equal(ws.protocol, 'v4.channel.k8s.io');
    const port = Buffer.alloc(2);
    port.writeUInt16LE(echoPort);
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping')]));
    const data = () => Buffer.concat(messages.filter(([c]) => c === 0).map(([, p]) => p as Buffer));
    while (data().length < 2 + 4) await once(ws, 'message');
    assert.deepEqual(messages.slice(0, 2), [[0, port], [1, port]]);
    assert.equal(data().subarray(2).toString(), 'ping');
    ws.close();
    await closed;
  });

  test('the SPDY tunnel: the 101 carries the sub-protocol ws would reject, and SPDY frames follow', async () => {
    const socket = await new Promise<Duplex>((resolve, reject) => {
      const req = http.request(`http://${base}/portForward/default/web`, { headers: { Connection: 'Upgrade', ...websocketHeaders('SPDY/3.1+portforward.k8s.io') } });
      req.on('upgrade', (res, sock) => {
        assert.equal(res.headers['sec-websocket-protocol'], 'SPDY/3.1+portforward.k8s.io');
        resolve(sock);
      });
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
      req.end();
    });
    // A masked binary message holding a SPDY PING; the answer is the same PING, unmasked.
    const ping = encodeFrame({ type: 'ping', id: 1 });
    const mask = Buffer.from([1, 2, 3, 4]);
    socket.write(Buffer.concat([Buffer.from([0x82, 0x80 | ping.length]), mask, Buffer.from(ping.map((b, i) => b ^ mask[i % 4]!))]));
    const [answer] = (await once(socket, 'data')) as [Buffer];
    assert.deepEqual(answer, Buffer.concat([Buffer.from([0x82, ping.length]), ping]));
    socket.destroy();
  });
});
