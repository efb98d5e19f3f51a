// Cluster DNS over UDP on loopback with 1,000 Services: queries per second and p50/p99 latency for
// A queries of existing Services and for names that do not exist (NXDOMAIN), with 1, 16 and 64
// queries in flight. The server (src/network/dns/) is fed by informers from an in-process cluster
// (memory store). Baseline in the same run: a trivial UDP echo server on loopback answering the
// same query packets, with the same client (dns-packet decodes every answer in both).

import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import * as dns from 'dns-packet';
import { startCluster, type Cluster } from '../src/cluster.js';
import { ApiClient } from '../src/client/client.js';
import type { KubeObject } from '../src/api/types.js';
import { ClusterDns } from '../src/network/dns/cluster-dns.js';
import { silentLogger } from '../src/util/log.js';
import { ms, num, perSec, pool, ratio, settle, size, summarize, table } from './lib/stats.js';

const SERVICES = ApiClient.resourceOf('v1', 'Service');
const SERVICE_COUNT = size(1_000, 100);
const IN_FLIGHT = [1, 16, 64];
const CELL_MS = size(3_000, 1_000);
const TIMEOUT_MS = 1_000;

interface Cell {
  qps: number;
  p50: number;
  p99: number;
  answered: number;
  lost: number;
  /** Answers whose rcode was the expected one (all answers for the echo). */
  expected: number;
}

/** Query packets (id 0, patched per send) for `names`. */
function packets(names: string[]): Buffer[] {
  return names.map((name) => dns.encode({ id: 0, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] }));
}

/** Sends the queries round-robin for CELL_MS with `inFlight` outstanding; one client socket. */
async function load(port: number, queries: Buffer[], inFlight: number, expectRcode: string | undefined): Promise<Cell> {
  const socket: Socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const pending = new Map<number, { start: number; timer: NodeJS.Timeout; resolve: () => void }>();
  const samples: number[] = [];
  let lost = 0;
  let expected = 0;
  let nextId = 1;
  let q = 0;
  socket.on('message', (msg) => {
    const end = performance.now();
    const reply = dns.decode(msg) as dns.Packet & { rcode?: string };
    const entry = pending.get(reply.id ?? -1);
    if (!entry) return;
    pending.delete(reply.id!);
    clearTimeout(entry.timer);
    samples.push(end - entry.start);
    if (expectRcode === undefined || reply.rcode === expectRcode) expected++;
    entry.resolve();
  });
  const one = () =>
    new Promise<void>((resolve) => {
      const id = nextId;
      nextId = (nextId % 65535) + 1;
      const packet = Buffer.from(queries[q++ % queries.length]!);
      packet.writeUInt16BE(id, 0);
      const timer = setTimeout(() => {
        pending.delete(id);
        lost++;
        resolve();
      }, TIMEOUT_MS);
      pending.set(id, { start: performance.now(), timer, resolve });
      socket.send(packet, port, '127.0.0.1');
    });
  // Warm-up, untimed.
  await pool(500, inFlight, one);
  samples.length = 0;
  lost = 0;
  expected = 0;
  const start = performance.now();
  const deadline = start + CELL_MS;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const elapsed = performance.now() - start;
  socket.close();
  const s = summarize(samples);
  return { qps: (samples.length * 1000) / elapsed, p50: s.p50, p99: s.p99, answered: samples.length, lost, expected };
}

/** A UDP server that sends every datagram back. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: (socket.address() as AddressInfo).port, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

async function waitForDefaultNamespace(cluster: Cluster): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await cluster.client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await settle(20);
    }
  }
}

/** One A query over UDP; resolves to its rcode and first A answer. */
async function ask(port: number, name: string): Promise<{ rcode?: string; a?: string }> {
  const socket = createSocket('udp4');
  try {
    socket.send(dns.encode({ id: 1, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] }), port, '127.0.0.1');
    const [msg] = (await Promise.race([once(socket, 'message'), settle(1_000).then(() => [undefined])])) as [Buffer | undefined];
    if (!msg) return {};
    const reply = dns.decode(msg) as dns.Packet & { rcode?: string };
    const a = reply.answers?.find((x) => x.type === 'A') as { data?: string } | undefined;
    return { ...(reply.rcode ? { rcode: reply.rcode } : {}), ...(a?.data ? { a: a.data } : {}) };
  } finally {
    socket.close();
  }
}

const names = Array.from({ length: SERVICE_COUNT }, (_, i) => `svc-${i}`);
const existing = packets(names.map((n) => `${n}.default.svc.cluster.local`));
const missing = packets(names.map((n) => `${n}-missing.default.svc.cluster.local`));

const rows: string[][] = [];
let syncedMs = NaN;
const echo = await echoServer();
const cluster = await startCluster({ store: 'memory' });
let server: ClusterDns | undefined;
try {
  await waitForDefaultNamespace(cluster);
  await pool(SERVICE_COUNT, 32, (i) =>
    cluster.client.create(SERVICES, 'default', {
      metadata: { name: names[i]! },
      spec: { selector: { app: names[i]! }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    } as KubeObject),
  );
  const started = performance.now();
  server = new ClusterDns({ client: cluster.client, host: '127.0.0.1', port: 0, upstreams: [], log: silentLogger });
  await server.start();
  // Every Service answered (its ClusterIP in the index).
  for (const name of [names[0]!, names[SERVICE_COUNT - 1]!]) {
    while (!(await ask(server.port, `${name}.default.svc.cluster.local`)).a) await settle(20);
  }
  syncedMs = performance.now() - started;
  await settle(500);

  for (const inFlight of IN_FLIGHT) {
    const base = await load(echo.port, existing, inFlight, undefined);
    const a = await load(server.port, existing, inFlight, 'NOERROR');
    const nx = await load(server.port, missing, inFlight, 'NXDOMAIN');
    for (const [label, cell] of [
      ['A, existing Service', a],
      ['A, no such name (NXDOMAIN)', nx],
      ['UDP echo (baseline)', base],
    ] as const) {
      rows.push([
        label,
        String(inFlight),
        perSec(cell.qps),
        ratio(cell.qps, base.qps),
        ms(cell.p50),
        ms(cell.p99),
        ratio(cell.p99, base.p99),
        `${num((100 * cell.expected) / Math.max(1, cell.answered))}%`,
        String(cell.lost),
      ]);
    }
  }
} finally {
  await server?.stop();
  await cluster.stop();
  await echo.close();
}

table(
  `Cluster DNS over UDP on loopback, ${SERVICE_COUNT.toLocaleString('en-US')} Services, ${num(CELL_MS / 1000)} s per row`,
  ['query', 'in flight', 'queries/s', 'vs echo', 'p50', 'p99', 'p99 vs echo', 'expected rcode', 'lost'],
  rows,
  [
    'One client socket in the same process as the server and the cluster; dns-packet decodes every answer (the echo\'s too).',
    'Names cycle through all Services (or the same names with "-missing"). "expected rcode": NOERROR with the',
    `Service's A record / NXDOMAIN; "lost": no answer within ${num(TIMEOUT_MS)} ms.`,
    `The DNS server answered the first and last Service ${ms(syncedMs)} after it was started (informers synced).`,
  ],
  2,
);
