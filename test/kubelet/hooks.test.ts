import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Container, Pod } from '../../src/api/types.js';
import type { ExecResult, Runtime } from '../../src/runtime/types.js';
import { LifecycleHandlerRunner } from '../../src/kubelet/hooks/runner.js';
import { hostNetwork } from '../../src/kubelet/network.js';
import { FakeClock, settle } from '../../src/util/clock.js';

const pod: Pod = { metadata: { name: 'web2', namespace: 'default', uid: 'u-42' }, spec: { containers: [{ name: 'web', image: 'x' }] } };
const container: Container = pod.spec.containers[0]!;

function runnerWith(exec: (cmd: string[], timeout: number) => Promise<ExecResult>, clock = new FakeClock()) {
  const events: string[] = [];
  const calls: [string, string[], number][] = [];
  const runtime = {
    execSync: (id: string, cmd: string[], timeout: number) => {
      calls.push([id, cmd, timeout]);
      return exec(cmd, timeout);
    },
  } as unknown as Runtime;
  const runner = new LifecycleHandlerRunner({
    runtime,
    clock,
    network: hostNetwork,
    podIP: () => '127.0.0.1',
    recorder: { event: (_ref, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
  });
  return { runner, events, calls, clock };
}

const result = (exitCode: number, stdout = '', stderr = ''): ExecResult => ({ exitCode, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), timedOut: false });

describe('§7.1 exec handlers', () => {
  test('success runs the command in the container without a timeout', async () => {
    const { runner, calls } = runnerWith(async () => result(0, 'register service\n'));
    const msg = await runner.run(pod, container, 'c1', 'PostStart', { exec: { command: ['sh', '-c', 'echo register service'] } });
    assert.equal(msg, undefined);
    assert.deepEqual(calls, [['c1', ['sh', '-c', 'echo register service'], 0]]);
  });

  test('failure message as Kubernetes words it', async () => {
    const { runner } = runnerWith(async () => result(1));
    assert.equal(
      await runner.run(pod, container, 'c1', 'PostStart', { exec: { command: ['sh', '-c', 'exit 1'] } }),
      'Exec lifecycle hook ([sh -c exit 1]) for Container "web" in Pod "web2_default(u-42)" failed - error: command \'sh -c exit 1\' exited with 1: , message: ""',
    );
    const { runner: noisy } = runnerWith(async () => result(2, 'out "x"\n', 'bad\n'));
    assert.equal(
      await noisy.run(pod, container, 'c1', 'PreStop', { exec: { command: ['check'] } }),
      'Exec lifecycle hook ([check]) for Container "web" in Pod "web2_default(u-42)" failed - error: command \'check\' exited with 2: bad\n, message: "out \\"x\\"\\nbad\\n"',
    );
  });

  test('a runtime error is reported as the error', async () => {
    const { runner } = runnerWith(async () => {
      throw new Error('container not running');
    });
    assert.equal(
      await runner.run(pod, container, 'c1', 'PreStop', { exec: { command: ['x'] } }),
      'Exec lifecycle hook ([x]) for Container "web" in Pod "web2_default(u-42)" failed - error: container not running, message: ""',
    );
  });

  test('abort stops waiting for a hanging command', async () => {
    const { runner } = runnerWith(() => new Promise<ExecResult>(() => undefined));
    const controller = new AbortController();
    const pending = runner.run(pod, container, 'c1', 'PreStop', { exec: { command: ['sleep', '100'] } }, controller.signal);
    await settle();
    controller.abort();
    assert.equal(await pending, 'Exec lifecycle hook ([sleep 100]) for Container "web" in Pod "web2_default(u-42)" failed - error: context canceled, message: ""');
  });
});

describe('§7.1 sleep handlers', () => {
  test('sleep resolves after exactly the given seconds of clock time', async () => {
    const { runner, clock } = runnerWith(async () => result(0));
    let done = false;
    const pending = runner.run(pod, container, 'c1', 'PreStop', { sleep: { seconds: 10 } }).then((m) => {
      done = true;
      return m;
    });
    await clock.advance(9_999);
    assert.equal(done, false);
    await clock.advance(1);
    assert.equal(await pending, undefined);
  });

  test('an aborted sleep reports the container terminated first', async () => {
    const { runner, clock } = runnerWith(async () => result(0));
    const controller = new AbortController();
    const pending = runner.run(pod, container, 'c1', 'PreStop', { sleep: { seconds: 10 } }, controller.signal);
    await clock.advance(3000);
    controller.abort();
    assert.equal(
      await pending,
      'Sleep lifecycle hook (10) for Container "web" in Pod "web2_default(u-42)" failed - error: container terminated before sleep hook finished',
    );
    assert.equal(clock.timerCount, 0);
  });
});

describe('§7.1 HTTP handlers against a real server', () => {
  let server: http.Server;
  let port: number;
  const seen: { url: string; ua: string | undefined }[] = [];
  let hangClosedResolve: () => void = () => undefined;
  const hangClosed = new Promise<void>((r) => (hangClosedResolve = r));

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', ua: req.headers['user-agent'] });
      if (req.url === '/hang') {
        req.socket.on('close', () => hangClosedResolve());
        return;
      }
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('GET to the pod IP with the lifecycle User-Agent; the status code does not matter', async () => {
    const { runner } = runnerWith(async () => result(0));
    seen.length = 0;
    assert.equal(await runner.run(pod, container, 'c1', 'PostStart', { httpGet: { path: '/register', port } }), undefined);
    assert.equal(await runner.run(pod, container, 'c1', 'PreStop', { httpGet: { path: '/broken', port } }), undefined);
    assert.deepEqual(seen, [
      { url: '/register', ua: 'kube-lifecycle/1.33' },
      { url: '/broken', ua: 'kube-lifecycle/1.33' },
    ]);
  });

  test('HTTPS to a plain server falls back to HTTP with a warning event', async () => {
    const { runner, events } = runnerWith(async () => result(0));
    seen.length = 0;
    assert.equal(await runner.run(pod, container, 'c1', 'PostStart', { httpGet: { path: '/tls', port, scheme: 'HTTPS' } }), undefined);
    assert.deepEqual(seen.map((s) => s.url), ['/tls']);
    assert.deepEqual(events, [`Warning LifecycleHTTPFallback request to HTTPS lifecycle hook 127.0.0.1:${port} got HTTP response, retry with HTTP succeeded`]);
  });

  test('abort cancels a hanging request', async () => {
    const { runner } = runnerWith(async () => result(0));
    const controller = new AbortController();
    const pending = runner.run(pod, container, 'c1', 'PreStop', { httpGet: { path: '/hang', port } }, controller.signal);
    while (!seen.some((s) => s.url === '/hang')) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    assert.equal(await pending, 'HTTP lifecycle hook (/hang) for Container "web" in Pod "web2_default(u-42)" failed - error: context canceled');
    await hangClosed;
  });

  test('a transport error fails the hook', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const closed = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const { runner } = runnerWith(async () => result(0));
    assert.equal(
      await runner.run(pod, container, 'c1', 'PreStop', { httpGet: { path: '/deregister', port: closed } }),
      `HTTP lifecycle hook (/deregister) for Container "web" in Pod "web2_default(u-42)" failed - error: Get "http://127.0.0.1:${closed}/deregister": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    );
  });
});

describe('§7.1 other handlers', () => {
  test('tcpSocket cannot be run', async () => {
    const { runner } = runnerWith(async () => result(0));
    assert.equal(
      await runner.run(pod, container, 'c1', 'PostStart', { tcpSocket: { port: 8080 } }),
      'Cannot run handler: invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{Port:{0 8080 },Host:,},Sleep:nil,}',
    );
  });
});
