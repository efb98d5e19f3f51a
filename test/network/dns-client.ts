// A DNS client and a fake upstream server for tests, on loopback, with dns-packet.

import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import * as dns from 'dns-packet';
import type { Answer, Packet, RecordType } from 'dns-packet';

export interface Reply extends Packet {
  rcode?: string;
  flag_aa?: boolean;
  flag_tc?: boolean;
}

export function query(port: number, name: string, type: RecordType, transport: 'udp' | 'tcp' = 'udp', host = '127.0.0.1'): Promise<Reply> {
  const id = Math.floor(Math.random() * 65535);
  const message = dns.encode({ id, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
  return transport === 'udp' ? udp(message, port, host) : tcp(message, port, host);
}

function udp(message: Buffer, port: number, host: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no answer over UDP'));
    }, 5000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(dns.decode(msg) as Reply);
    });
    socket.send(message, port, host);
  });
}

function tcp(message: Buffer, port: number, host: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer over TCP'));
    }, 5000);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(dns.streamEncode({ ...dns.decode(message) })));
    socket.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(dns.streamDecode(buffered) as Reply);
      }
    });
  });
}

export interface Record_ {
  name: string;
  type: string;
  ttl?: number;
  data: unknown;
}

export function answersOf(reply: Reply, type?: string): Record_[] {
  return (reply.answers ?? []).filter((a) => !type || a.type === type) as Record_[];
}

/** A fake upstream resolver on loopback (UDP and TCP) answering from a fixed table; counts queries. */
export async function fakeUpstream(records: Record<string, string>): Promise<{ port: number; queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const answer = (msg: Buffer): Buffer => {
    const q = dns.decode(msg);
    const question = q.questions![0]!;
    queries.push(`${question.name}/${question.type}`);
    const ip = records[question.name.toLowerCase()];
    const answers: Answer[] = ip && question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 60, class: 'IN', data: ip }] : [];
    return dns.encode({ id: q.id, type: 'response', flags: dns.RECURSION_AVAILABLE | (ip ? 0 : 3), questions: q.questions, answers });
  };
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const port = socket.address().port;
  socket.on('message', (msg, rinfo) => socket.send(answer(msg), rinfo.port, rinfo.address));
  const server: Server = createServer((s) => {
    let buffered = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const reply = answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        s.end(Buffer.concat([len, reply]));
      }
    });
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    port,
    queries,
    close: async () => {
      await new Promise<void>((r) => socket.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
