import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Container, Probe } from '../../src/api/types.js';
import type { Runtime } from '../../src/runtime/types.js';
import { decodeHealthCheckResponse, encodeHealthCheckRequest, hostNetwork } from '../../src/kubelet/network.js';
import { ProbeRunner } from '../../src/kubelet/prober/probe-runner.js';

const noRuntime = {} as Runtime;
const runner = new ProbeRunner(noRuntime, hostNetwork);
const container: Container = { name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 0 }] };
const probeAt = (probe: Probe) => runner.run(probe, { container, containerId: 'c1', podIP: '127.0.0.1' });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('§6.3 HTTP probes against a real server', () => {
  let server: http.Server;
  let port: number;
  let lastHeaders: http.IncomingHttpHeaders = {};
  let hops = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      lastHeaders = req.headers;
      const url = req.url ?? '/';
      if (url === '/ok') res.end('fine');
      else if (url === '/fail') {
        res.statusCode = 500;
        res.end('error: 12');
      } else if (url === '/same') {
        hops++;
        res.writeHead(302, { location: '/ok' }).end();
      } else if (url === '/other') res.writeHead(301, { location: `http://localhost:${port}/ok` }).end('gone');
      else if (url === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (url === '/slow') setTimeout(() => res.end('late'), 2000).unref();
      else if (url === '/big') res.end(Buffer.alloc(100 * 1024, 'x'));
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    container.ports![0]!.containerPort = port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('2xx is success; headers carry the probe User-Agent, Accept and custom headers', async () => {
    const r = await probeAt({ httpGet: { path: '/ok', port: 'http', httpHeaders: [{ name: 'custom-header', value: 'Awesome' }] } });
    assert.deepEqual(r, { outcome: 'success', output: 'fine' });
    assert.equal(lastHeaders['user-agent'], 'kube-probe/1.33');
    assert.equal(lastHeaders['accept'], '*/*');
    assert.equal(lastHeaders['custom-header'], 'Awesome');
    assert.equal(lastHeaders['host'], `127.0.0.1:${port}`);
  });

  test('Host, User-Agent and Accept can be overridden; an empty Accept removes it', async () => {
    await probeAt({ httpGet: { path: '/ok', port, httpHeaders: [{ name: 'Host', value: 'example.com' }, { name: 'User-Agent', value: 'me' }, { name: 'Accept', value: '' }] } });
    assert.equal(lastHeaders['host'], 'example.com');
    assert.equal(lastHeaders['user-agent'], 'me');
    assert.equal(lastHeaders['accept'], undefined);
  });

  test('>= 400 is a failure without the body', async () => {
    assert.deepEqual(await probeAt({ httpGet: { path: '/fail', port } }), { outcome: 'failure', output: 'HTTP probe failed with statuscode: 500' });
    assert.deepEqual(await probeAt({ httpGet: { path: '/nowhere', port } }), { outcome: 'failure', output: 'HTTP probe failed with statuscode: 404' });
  });

  test('same-host redirects are followed', async () => {
    hops = 0;
    assert.deepEqual(await probeAt({ httpGet: { path: '/same', port } }), { outcome: 'success', output: 'fine' });
    assert.equal(hops, 1);
  });

  test('a redirect to another host is a warning with the body', async () => {
    assert.deepEqual(await probeAt({ httpGet: { path: '/other', port } }), { outcome: 'warning', output: 'Probe terminated redirects, Response body: gone' });
  });

  test('endless redirects stop after 10', async () => {
    const r = await probeAt({ httpGet: { path: '/loop', port } });
    assert.deepEqual(r, { outcome: 'failure', output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects` });
  });

  test('timeout and refused connections fail with Go-like messages', async () => {
    await assert.rejects(
      hostNetwork.httpGet({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/slow', headers: [], timeoutMs: 200, followRedirects: true }),
      { message: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` },
    );
    const closed = await closedPort();
    const refused = await probeAt({ httpGet: { path: '/healthz', port: closed } });
    assert.deepEqual(refused, { outcome: 'failure', output: `Get "http://127.0.0.1:${closed}/healthz": dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  });

  test('the body read stops at 10 KiB', async () => {
    const res = await hostNetwork.httpGet({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/big', headers: [], timeoutMs: 1000, followRedirects: true });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.length, 10 * 1024);
  });

  test('HTTPS to a plain HTTP server reports it as Go does', async () => {
    await assert.rejects(
      hostNetwork.httpGet({ scheme: 'HTTPS', host: '127.0.0.1', port, path: '/ok', headers: [], timeoutMs: 1000, followRedirects: true }),
      { message: `Get "https://127.0.0.1:${port}/ok": http: server gave HTTP response to HTTPS client` },
    );
  });

  test('an unknown port name is a prober error', async () => {
    const r = await probeAt({ httpGet: { path: '/ok', port: 'metrics' } });
    assert.equal(r.outcome, 'unknown');
    assert.equal(r.error?.message, 'strconv.Atoi: parsing "metrics": invalid syntax');
  });
});

describe('§6.3 TCP probes', () => {
  test('an open port succeeds, a closed one fails with the dial error', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      assert.deepEqual(await probeAt({ tcpSocket: { port } }), { outcome: 'success', output: '' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const closed = await closedPort();
    assert.deepEqual(await probeAt({ tcpSocket: { port: closed } }), { outcome: 'failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  });
});

describe('§6.3 gRPC health probes', () => {
  let server: grpc.Server;
  let port: number;
  let bare: grpc.Server;
  let barePort: number;
  let userAgent = '';

  const decodeRequest = (buf: Buffer) => ({ service: buf.length > 2 ? buf.subarray(2).toString('utf8') : '' });
  const encodeResponse = (status: number): Buffer => Buffer.from([0x08, status]);

  async function bind(s: grpc.Server): Promise<number> {
    return new Promise((resolve, reject) =>
      s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  }

  before(async () => {
    server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: encodeHealthCheckRequest,
          requestDeserialize: decodeRequest,
          responseSerialize: encodeResponse,
          responseDeserialize: decodeHealthCheckResponse,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
          userAgent = String(call.metadata.get('user-agent')[0] ?? '');
          if (call.request.service === '') callback(null, 1);
          else if (call.request.service === 'db') callback(null, 2);
          else callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        },
      },
    );
    port = await bind(server);
    bare = new grpc.Server();
    barePort = await bind(bare);
  });
  after(() => {
    server.forceShutdown();
    bare.forceShutdown();
  });

  test('SERVING is a success, sent with the probe User-Agent', async () => {
    const r = await runner.run({ grpc: { port } }, { container, containerId: 'c1', podIP: '127.0.0.1' });
    assert.deepEqual(r, { outcome: 'success', output: 'service healthy' });
    assert.match(userAgent, /^kube-probe\/1\.33/);
  });

  test('NOT_SERVING and RPC errors are failures', async () => {
    assert.deepEqual(await probeAt({ grpc: { port, service: 'db' } }), { outcome: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    assert.deepEqual(await probeAt({ grpc: { port, service: 'other' } }), { outcome: 'failure', output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service' });
  });

  test('a server without the health service', async () => {
    const r = await probeAt({ grpc: { port: barePort } });
    assert.equal(r.outcome, 'failure');
    assert.match(r.output, /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /);
  });

  test('nothing listening: connect timeout', async () => {
    const closed = await closedPort();
    const out = await probeAt({ grpc: { port: closed }, timeoutSeconds: 1 });
    assert.deepEqual(out, { outcome: 'failure', output: `timeout: failed to connect service "127.0.0.1:${closed}" within 1s: context deadline exceeded` });
  });
});

/** A throwaway self-signed certificate for 127.0.0.1. */
async function selfSigned(): Promise<{ cert: string; key: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '01', name: 'CN=127.0.0.1', notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 3_600_000), keys, signingAlgorithm: alg },
    webcrypto as never,
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}

describe('§6.3 HTTPS probes', () => {
  test('the certificate is not verified', async () => {
    const server = https.createServer(await selfSigned(), (req, res) => res.end(`secure ${req.headers['user-agent']}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      assert.deepEqual(await probeAt({ httpGet: { scheme: 'HTTPS', path: '/', port } }), { outcome: 'success', output: 'secure kube-probe/1.33' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
