// Answers from the in-memory index, as an authoritative server for the cluster zone: the records
// at the name (a CNAME answers any type, chased inside the zone), NOERROR without data (and the
// SOA) for a name that exists with other types, NXDOMAIN (and the SOA) for one that does not.
// Reverse names the index knows are answered; everything else is for the upstream servers.

import type { Answer, Packet, Question } from 'dns-packet';
import { isIP } from 'node:net';
import { normalizeName, type Zone, type ZoneRecord } from './zone.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const AUTHORITATIVE = 1 << 10;
const RECURSION_DESIRED = 1 << 8;
const RECURSION_AVAILABLE = 1 << 7;

export interface ResolverOptions {
  /** The cluster domain, e.g. cluster.local. */
  domain: string;
  /** TTL of the answers (CoreDNS's kubernetes plugin: 5 s). */
  ttl?: number;
  /**
   * Answer `<a-b-c-d>.<ns>.pod.<zone>` with the address spelled in the name, pods unseen (CoreDNS's
   * `pods insecure`, kubeadm's default), instead of only for pods in the index (`pods verified`).
   */
  insecurePods?: boolean;
}

export type Resolution =
  | { kind: 'answer'; packet: Packet }
  /** Not ours: ask the upstream servers. */
  | { kind: 'forward' }
  /** Ours up to a CNAME leaving the zone: the partial answer, and the name upstream must resolve. */
  | { kind: 'chase'; packet: Packet; target: string };

export class Resolver {
  private readonly domain: string;
  private readonly ttl: number;
  private readonly insecurePods: boolean;
  private readonly serial = Math.floor(Date.now() / 1000);

  constructor(
    private readonly zone: Zone,
    options: ResolverOptions,
  ) {
    this.domain = normalizeName(options.domain);
    this.ttl = options.ttl ?? 5;
    this.insecurePods = options.insecurePods ?? false;
  }

  inZone(name: string): boolean {
    const n = normalizeName(name);
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  resolve(query: Packet): Resolution {
    const question = query.questions?.[0];
    if (!question || (query.questions?.length ?? 0) > 1) return { kind: 'answer', packet: this.reply(query, RCODE.FORMERR, []) };
    if (question.class !== undefined && question.class !== 'IN' && question.class !== 'ANY') return { kind: 'forward' };
    const name = normalizeName(question.name);
    if (!this.inZone(name)) {
      if ((name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa')) && question.type === 'PTR') {
        const ptrs = this.zone.lookup(name).filter((r) => r.type === 'PTR');
        if (ptrs.length) return { kind: 'answer', packet: this.reply(query, RCODE.NOERROR, ptrs.map((r) => this.toAnswer(r))) };
      }
      return { kind: 'forward' };
    }
    return this.authoritative(query, question, name);
  }

  private authoritative(query: Packet, question: Question, name: string): Resolution {
    const answers: Answer[] = [];
    let current = name;
    // Follow CNAMEs inside the zone (a few hops at most; a loop ends the chase).
    for (let hop = 0; hop < 8; hop++) {
      const records = this.lookup(current);
      const cname = records.find((r) => r.type === 'CNAME');
      if (cname && question.type !== 'CNAME') {
        answers.push(this.toAnswer(cname));
        const target = normalizeName(cname.data as string);
        if (!this.inZone(target)) return { kind: 'chase', packet: this.reply(query, RCODE.NOERROR, answers), target };
        current = target;
        continue;
      }
      const matching = records.filter((r) => (question.type as string) === 'ANY' || r.type === question.type);
      if (matching.length) {
        answers.push(...shuffled(matching).map((r) => this.toAnswer(r)));
        return { kind: 'answer', packet: this.reply(query, RCODE.NOERROR, answers, [], this.additionals(matching)) };
      }
      if (question.type === 'SOA' && current === this.domain) {
        return { kind: 'answer', packet: this.reply(query, RCODE.NOERROR, [this.soa()]) };
      }
      const exists = this.zone.exists(current) || current === this.domain || records.length > 0;
      return { kind: 'answer', packet: this.reply(query, exists || answers.length ? RCODE.NOERROR : RCODE.NXDOMAIN, answers, [this.soa()]) };
    }
    return { kind: 'answer', packet: this.reply(query, RCODE.SERVFAIL, []) };
  }

  private lookup(name: string): ZoneRecord[] {
    const records = this.zone.lookup(name);
    if (records.length || !this.insecurePods) return records;
    return podRecordFromName(name, this.domain);
  }

  /** Addresses of SRV targets, as additional records. */
  private additionals(records: ZoneRecord[]): Answer[] {
    const out: Answer[] = [];
    for (const r of records) {
      if (r.type !== 'SRV') continue;
      for (const a of this.zone.lookup(r.data.target)) if (a.type === 'A' || a.type === 'AAAA') out.push(this.toAnswer(a));
    }
    return out;
  }

  soa(): Answer {
    return {
      name: this.domain,
      type: 'SOA',
      ttl: this.ttl,
      class: 'IN',
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private toAnswer(r: ZoneRecord): Answer {
    return { ...r, ttl: this.ttl, class: 'IN' } as Answer;
  }

  reply(query: Packet, rcode: number, answers: Answer[], authorities: Answer[] = [], additionals: Answer[] = []): Packet {
    return {
      id: query.id ?? 0,
      type: 'response',
      flags: AUTHORITATIVE | ((query.flags ?? 0) & RECURSION_DESIRED) | RECURSION_AVAILABLE | rcode,
      questions: query.questions ?? [],
      answers,
      authorities,
      additionals,
    };
  }
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** `10-1-2-3.<ns>.pod.<zone>` → A 10.1.2.3 (`fd00--1` → AAAA fd00::1); nothing for other names. */
export function podRecordFromName(name: string, domain: string): ZoneRecord[] {
  const suffix = `.pod.${domain}`;
  if (!name.endsWith(suffix)) return [];
  const labels = name.slice(0, -suffix.length).split('.');
  if (labels.length !== 2 || !labels[1]) return [];
  const [dashedIp] = labels as [string];
  const v4 = dashedIp.replace(/-/g, '.');
  if (isIP(v4) === 4 && /^\d+(\.\d+){3}$/.test(v4)) return [{ name, type: 'A', data: v4 }];
  const v6 = dashedIp.replace(/-/g, ':');
  if (isIP(v6) === 6) return [{ name, type: 'AAAA', data: v6 }];
  return [];
}
