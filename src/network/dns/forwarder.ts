// Forwarding of names outside the cluster to the host's resolvers (the nameservers of the host's
// /etc/resolv.conf, as CoreDNS's `forward . /etc/resolv.conf`): the query as it came, over the
// transport it came on, to each upstream in turn until one answers within the timeout.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface Upstream {
  host: string;
  port: number;
}

/** The nameservers of a resolv.conf text (IPv4 and IPv6, zone ids dropped). */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1]!.replace(/%.*$/, '');
    if (isIP(host)) out.push({ host, port: 53 });
  }
  return out;
}

export function hostUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per upstream attempt (default 2 s). */
  timeoutMs?: number;
}

export class Forwarder {
  private readonly timeoutMs: number;
  private list: Upstream[];

  constructor(options: ForwarderOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.list = [...options.upstreams];
  }

  get upstreams(): Upstream[] {
    return this.list;
  }

  set upstreams(list: Upstream[]) {
    this.list = [...list];
  }

  /** The upstream's answer to a raw query, or undefined when none answered in time. */
  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    for (const upstream of this.list) {
      const answer = await (transport === 'udp' ? this.udp(query, upstream) : this.tcp(query, upstream)).catch(() => undefined);
      if (answer) return answer;
    }
    return undefined;
  }

  private udp(query: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket(upstream.host.includes(':') ? 'udp6' : 'udp4');
      const id = query.readUInt16BE(0);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        socket.close();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on('error', () => done(undefined));
      socket.on('message', (msg, rinfo) => {
        // Only the upstream's answer to this query id counts (anything else is spoofing or stale).
        if (rinfo.address !== upstream.host || rinfo.port !== upstream.port || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
        done(msg);
      });
      socket.send(query, upstream.port, upstream.host, (err) => {
        if (err) done(undefined);
      });
    });
  }

  private tcp(query: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      let buffered = Buffer.alloc(0);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on('error', () => done(undefined));
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(query.length);
        socket.write(Buffer.concat([length, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      });
      socket.on('end', () => done(undefined));
    });
  }
}
