// The DNS server: UDP and TCP (two-byte length framing) on one address and port, dns-packet for
// the wire format. Cluster names are answered from the resolver's index; other names go to the
// forwarder. A UDP answer larger than the client's limit (512 bytes, or its EDNS payload size) is
// sent truncated so that the client retries over TCP.

import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as dns from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import { RCODE, type Resolver } from './resolver.js';
import type { Forwarder } from './forwarder.js';

const TRUNCATED = 1 << 9;
const MAX_TCP_CLIENTS = 256;
const TCP_IDLE_MS = 10_000;
/** The UDP payload this server advertises over EDNS (the DNS flag day 2020 value). */
const EDNS_PAYLOAD = 1232;

export interface DnsServerOptions {
  resolver: Resolver;
  forwarder?: Forwarder;
  /** Reports unexpected errors (never per-query noise). */
  onError?: (err: Error) => void;
}

export class DnsServer {
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  private readonly clients = new Set<TcpSocket>();

  constructor(private readonly options: DnsServerOptions) {}

  /** Listens on UDP and TCP; port 0 picks a port free for both. Returns the port. */
  async listen(port: number, host: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      const bound = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve(udp.address().port);
        });
      });
      const tcp = createServer((s) => this.serveTcp(s));
      const ok = await new Promise<boolean>((resolve, reject) => {
        tcp.once('error', (err: NodeJS.ErrnoException) => (port === 0 && err.code === 'EADDRINUSE' && attempt < 10 ? resolve(false) : reject(err)));
        tcp.listen(bound, host, () => resolve(true));
      }).catch((err) => {
        udp.close();
        throw err;
      });
      if (!ok) {
        udp.close();
        continue;
      }
      udp.on('message', (msg, rinfo) => void this.serveUdp(msg, rinfo.address, rinfo.port));
      udp.on('error', (err) => this.options.onError?.(err));
      tcp.on('error', (err) => this.options.onError?.(err));
      this.udp = udp;
      this.tcp = tcp;
      return bound;
    }
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  private async serveUdp(msg: Buffer, address: string, port: number): Promise<void> {
    const answer = await this.handle(msg, 'udp').catch((err: Error) => {
      this.options.onError?.(err);
      return undefined;
    });
    if (answer && this.udp) this.udp.send(answer, port, address);
  }

  private serveTcp(socket: TcpSocket): void {
    if (this.clients.size >= MAX_TCP_CLIENTS) {
      socket.destroy();
      return;
    }
    this.clients.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        void this.handle(message, 'tcp')
          .then((answer) => {
            if (!answer || socket.destroyed) return;
            const length = Buffer.alloc(2);
            length.writeUInt16BE(answer.length);
            socket.write(Buffer.concat([length, answer]));
          })
          .catch((err: Error) => this.options.onError?.(err));
      }
    });
  }

  /** One query in, one answer out (undefined: drop, as for a packet that is no query). */
  async handle(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: Packet;
    try {
      query = dns.decode(message);
    } catch {
      if (message.length < 12) return undefined;
      return formErr(message);
    }
    if (query.type === 'response') return undefined;
    const { resolver } = this.options;
    if ((query as { opcode?: string }).opcode !== 'QUERY') return this.encode(resolver.reply(query, RCODE.NOTIMP, []), query, transport);

    const resolution = resolver.resolve(query);
    if (resolution.kind === 'answer') return this.encode(resolution.packet, query, transport);
    if (resolution.kind === 'forward') {
      const upstream = await this.options.forwarder?.forward(message, transport);
      return upstream ?? this.encode(resolver.reply(query, RCODE.SERVFAIL, []), query, transport);
    }
    // A CNAME out of the zone: ask upstream for the target and append what it answers.
    const question = query.questions![0]!;
    const sub = dns.encode({ id: query.id ?? 0, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ ...question, name: resolution.target }] });
    const upstream = await this.options.forwarder?.forward(sub, transport);
    const packet = resolution.packet;
    if (upstream) {
      try {
        packet.answers!.push(...(dns.decode(upstream).answers ?? []));
      } catch {
        // an undecodable upstream answer: the CNAME alone
      }
    }
    return this.encode(packet, query, transport);
  }

  private encode(answer: Packet, query: Packet, transport: 'udp' | 'tcp'): Buffer {
    const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    // A query with EDNS gets EDNS back (RFC 6891), advertising the payload size this server takes.
    const packet: Packet = opt ? { ...answer, additionals: [...(answer.additionals ?? []), ednsRecord()] } : answer;
    const encoded = dns.encode(packet);
    if (transport === 'tcp') return encoded;
    const limit = Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 65535));
    if (encoded.length <= limit) return encoded;
    return dns.encode({ ...packet, flags: (packet.flags ?? 0) | TRUNCATED, answers: [], authorities: [], additionals: opt ? [ednsRecord()] : [] });
  }
}

function ednsRecord(): Answer {
  return { name: '.', type: 'OPT', udpPayloadSize: EDNS_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

/** FORMERR for an undecodable query: its id, the response bit, no sections. */
function formErr(message: Buffer): Buffer {
  const out = Buffer.alloc(12);
  message.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | (message.readUInt16BE(2) & 0x7800) | RCODE.FORMERR, 2);
  return out;
}
