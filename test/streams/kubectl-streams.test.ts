// exec, cp and port-forward with the real kubectl, through the real API server, to a node agent
// whose runtime runs exec'd commands as local processes and forwards ports to local servers: the
// default kubectl (1.33, WebSocket first), 1.29 (SPDY only), 1.31 (port-forward tunnelled) and
// 1.27 (the oldest, offering SPDY v4 first);
// then @kubernetes/client-node's Exec and PortForward (its own channel protocol).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { testCluster, kubectlBinary, spawnCollect, eventually, type TestCluster } from '../helpers/cluster.js';
import { NodeAgent } from '../../src/agent/node-agent.js';
import { createStreamServer } from '../../src/agent/streaming/index.js';
import { issueCertificate } from '../../src/apiserver/pki.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { RuntimeError, type StreamOptions } from '../../src/runtime/types.js';
import type { StreamKind, StreamServer } from '../../src/agent/server.js';
import { realClock } from '../../src/util/clock.js';
import { Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { PassThrough, Writable } from 'node:stream';
import { silentLogger } from '../../src/util/log.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

/** The fake runtime's lifecycle, with exec and port-forward done for real on this machine. */
class LocalStreamsRuntime extends FakeRuntime {
  override async exec(id: string, command: string[], streams: StreamOptions): Promise<number> {
    const status = await this.containerStatus(id);
    if (status.state !== 'RUNNING') throw new RuntimeError('FailedPrecondition', `container ${id} is not running`);
    return new Promise((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      if (streams.stdin) streams.stdin.pipe(child.stdin);
      else child.stdin.end();
      child.stdin.on('error', () => undefined);
      child.stdout.on('data', (c: Buffer) => streams.stdout?.write(c));
      child.stderr.on('data', (c: Buffer) => streams.stderr?.write(c));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        streams.stdin?.unpipe(child.stdin);
        resolve(code ?? (signal === 'SIGKILL' ? 137 : 143));
      });
    });
  }

  override portForward(sandboxId: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket));
      socket.once('error', (err) =>
        reject(new Error(`failed to connect to localhost:${port} inside namespace "${sandboxId}", IPv4: dial tcp4 127.0.0.1:${port}: ${err.message}`)),
      );
    });
  }
}

interface Upgrade {
  kind: StreamKind;
  transport: string;
}

/** Notes which transport each upgraded request asked for, to tell a fallback from the first choice. */
function recording(inner: StreamServer, seen: Upgrade[]): StreamServer {
  return {
    serve(kind, req, socket, head, target) {
      const ws = req.headers.upgrade?.toLowerCase() === 'websocket';
      const protocol = ws ? req.headers['sec-websocket-protocol'] : req.headers['x-stream-protocol-version'];
      seen.push({ kind, transport: `${ws ? 'websocket' : req.headers.upgrade} ${protocol}` });
      return inner.serve(kind, req, socket, head, target);
    },
  };
}

const NODE = 'streams-node';
const POD = 'web';

// The kubectl.1.NN binaries live beside the dispatcher.
process.env.PATH = `${dirname(realpathSync(execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()))}:${process.env.PATH}`;

describe('kubectl exec, cp and port-forward', () => {
  let k: TestCluster;
  let agent: NodeAgent;
  let http: Server;
  let httpPort: number;
  let scratch: string;
  const upgrades: Upgrade[] = [];
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'k8ts-streams-'));
    cleanups.push(() => safeRemoveSync(scratch, { unmount: true }));
    k = await testCluster({ after: (fn) => cleanups.push(fn) });
    http = createServer((req, res) => res.end(`hello from the pod: ${req.url}`));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    httpPort = (http.address() as net.AddressInfo).port;
    cleanups.push(() => new Promise((r) => http.close(r)));

    const runtime = new LocalStreamsRuntime({ clock: realClock, podNetwork: false });
    const serving = await issueCertificate(k.pki.ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], hosts: ['localhost', '127.0.0.1'], usage: 'server' });
    agent = new NodeAgent({
      client: k.client,
      nodeName: NODE,
      runtime,
      clock: realClock,
      rootDir: join(scratch, 'agent'),
      nodeIPs: ['127.0.0.1'],
      tls: { ca: k.pki.ca.certPem, serving },
      streams: recording(createStreamServer({ runtime, containerId: (pod, c) => agent.kubelet.containerId(pod, c), sandboxId: (uid) => agent.kubelet.sandboxId(uid) }), upgrades),
      log: silentLogger,
    });
    await agent.start();
    cleanups.push(() => agent.stop());

    await k.client.request('POST', '/api/v1/namespaces/default/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: POD }, spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } },
    });
    await eventually(async () => {
      const pod = await k.client.request<{ status?: { phase?: string } }>('GET', `/api/v1/namespaces/default/pods/${POD}`);
      return pod.status?.phase === 'Running';
    });
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const matrix = [
    { version: undefined, exec: 'websocket v5.channel.k8s.io', portForward: 'websocket SPDY/3.1+portforward.k8s.io' },
    { version: '1.29', exec: 'SPDY/3.1 v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io', portForward: 'SPDY/3.1 portforward.k8s.io' },
    { version: '1.31', exec: 'websocket v5.channel.k8s.io', portForward: 'websocket SPDY/3.1+portforward.k8s.io' },
    { version: '1.27', exec: 'SPDY/3.1 v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io', portForward: 'SPDY/3.1 portforward.k8s.io' },
  ];
  for (const { version, exec, portForward } of matrix) {
    const label = version ? `kubectl ${version}` : 'the default kubectl';
    const run = async (args: string[], stdin?: string) => {
      upgrades.length = 0;
      return k.kubectl(args, { ...(version ? { version } : {}), ...(stdin !== undefined ? { stdin } : {}) });
    };
    /** Every upgrade of the last command used the expected transport: no fallback happened. */
    const assertTransport = (expected: string) => {
      assert.ok(upgrades.length > 0, 'the command reached the node agent');
      for (const u of upgrades) assert.equal(u.transport, expected);
    };

    test(`${label}: exec prints stdout and stderr and exits with the command's code`, async () => {
      const r = await run(['exec', POD, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.match(r.stderr, /^err$/m);
      assert.match(r.stderr, /command terminated with exit code 3/);
      assertTransport(exec);
    });

    test(`${label}: exec -i passes stdin through and ends it`, async () => {
      const r = await run(['exec', '-i', POD, '--', 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello stdin\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'HELLO STDIN\ndone\n');
      assertTransport(exec);
    });

    test(`${label}: cp copies a file into the pod and back out`, async () => {
      const dir = mkdtempSync(join(scratch, 'cp-'));
      const local = join(dir, 'local.txt');
      const content = `copied by ${label}\n${'x'.repeat(200_000)}\n`;
      writeFileSync(local, content);
      const inPod = join(dir, 'in-pod.txt');
      const into = await run(['cp', local, `${POD}:${inPod}`]);
      assert.equal(into.code, 0, into.stderr);
      assert.equal(readFileSync(inPod, 'utf8'), content);
      assertTransport(exec);
      const back = join(dir, 'back.txt');
      const out = await run(['cp', `${POD}:${inPod}`, back]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(readFileSync(back, 'utf8'), content);
      assertTransport(exec);
    });

    test(`${label}: port-forward carries HTTP requests to the pod's port`, async (t) => {
      upgrades.length = 0;
      const pf = spawnCollect(kubectlBinary(version), ['--kubeconfig', k.kubeconfigPath, 'port-forward', `pod/${POD}`, `:${httpPort}`], t);
      await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
      const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(pf.output())![1]);
      for (const path of ['/first', '/second']) {
        const res = await fetch(`http://127.0.0.1:${localPort}${path}`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), `hello from the pod: ${path}`);
      }
      assertTransport(portForward);
      pf.child.kill('SIGINT');
    });
  }

  test('port-forward to a closed port reports the error as the kubelet words it', async (t) => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const pf = spawnCollect(kubectlBinary(), ['--kubeconfig', k.kubeconfigPath, 'port-forward', `pod/${POD}`, `:${port}`], t);
    await pf.waitFor(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
    const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(pf.output())![1]);
    await fetch(`http://127.0.0.1:${localPort}/`).catch(() => undefined);
    await pf.waitFor(new RegExp(`error forwarding port ${port} to pod [0-9a-z-]+, uid : failed to connect to localhost:${port}`));
  });

  function collect(): { stream: Writable; text(): string } {
    const chunks: Buffer[] = [];
    return {
      stream: new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }),
      text: () => Buffer.concat(chunks).toString(),
    };
  }

  test('client-node Exec: output streams and the exit code in the status', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(k.kubeconfig);
    const stdout = collect();
    const stderr = collect();
    upgrades.length = 0;
    const status = new Promise<V1Status>((resolve) => {
      void new Exec(kc).exec('default', POD, 'main', ['sh', '-c', 'echo hi; echo oops >&2; exit 4'], stdout.stream, stderr.stream, null, false, resolve);
    });
    const s = await status;
    assert.equal(s.status, 'Failure');
    assert.equal(s.reason, 'NonZeroExitCode');
    assert.deepEqual(s.details?.causes, [{ reason: 'ExitCode', message: '4' }]);
    assert.equal(stdout.text(), 'hi\n');
    assert.equal(stderr.text(), 'oops\n');
    assert.deepEqual(upgrades, [{ kind: 'exec', transport: 'websocket v5.channel.k8s.io,v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io' }]);
  });

  test('client-node PortForward: one WebSocket per connection, port-prefixed channels', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(k.kubeconfig);
    const output = new PassThrough();
    const input = new PassThrough();
    let received = '';
    output.on('data', (c: Buffer) => (received += c.toString()));
    upgrades.length = 0;
    const ws = (await new PortForward(kc).portForward('default', POD, [httpPort], output, null, input)) as { on(e: 'close', f: () => void): void };
    const closed = new Promise<void>((resolve) => ws.on('close', resolve));
    input.write('GET /client-node HTTP/1.0\r\nHost: pod\r\n\r\n');
    await closed;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /hello from the pod: \/client-node$/);
    assert.equal(upgrades.length, 1);
    assert.match(upgrades[0]!.transport, /^websocket v5\.channel\.k8s\.io,v4\.channel\.k8s\.io/);
  });
});
