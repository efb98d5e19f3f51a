// The pod network of a CNI that k8ts did not configure, learned as kube-proxy must learn it: from
// the addresses the runtime gives sandboxes and the host's routes to them. For each pod address
// outside what is known, the kernel says which interface reaches it, from which of the host's
// addresses, and through which of that interface's routes (the CNI's subnet: a bridge's /24, or a
// /32 per pod for point-to-point plugins). Whoever programs the node for pods (the service proxy,
// the node's DNS server) hears of each change and is waited for, so a sandbox's containers start
// only once its network is served.

import { run } from '../pod-network/host-command.js';
import type { Logger } from '../../util/log.js';
import { formatIp, parseIp } from '../pod-network/cidr.js';

/** How the host reaches one pod address. */
export interface PodRoute {
  /** The route's destination (`10.88.0.0/16`, or `10.88.0.5/32` for a host route). */
  cidr: string;
  /** The host interface the route goes out of. */
  dev: string;
  /** The host's source address toward the pod (on that interface). */
  hostAddress?: string;
}

export interface LearnedPodNetwork {
  /** The subnets the host routes pods through, in the order learned. */
  cidrs: string[];
  /** The host interfaces pods are reached through. */
  interfaces: string[];
  /** The host's addresses toward pods, in the order learned: where a node service pods reach can listen. */
  hostAddresses: string[];
}

export type PodRouteLookup = (ip: string) => Promise<PodRoute | undefined>;

/** Runs a host tool and resolves with its standard output (host-command.ts's run, or a test's). */
export type CommandRunner = (file: string, args: string[]) => Promise<string>;

interface IpRoute {
  dst?: string;
  dev?: string;
  gateway?: string;
  prefsrc?: string;
  type?: string;
}

/** Whether an IPv4 address lies in `a.b.c.d/n` (a bare address is a /32). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.includes('/') ? cidr.split('/') : [cidr, '32'];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(parseIp(base!) / size) === Math.floor(parseIp(ip) / size);
}

function normalized(dst: string): string {
  const [base, bits = '32'] = dst.split('/');
  const size = 2 ** (32 - Number(bits));
  return `${formatIp(Math.floor(parseIp(base!) / size) * size)}/${bits}`;
}

/** Asks the kernel (`ip route get`, then that interface's routes) how it reaches a pod address. */
export async function kernelRouteToPod(ip: string, command: CommandRunner = run): Promise<PodRoute | undefined> {
  const [got] = JSON.parse(await command('ip', ['-j', '-4', 'route', 'get', ip])) as IpRoute[];
  if (!got?.dev || got.dev === 'lo' || got.type === 'local') return undefined;
  const routes = JSON.parse(await command('ip', ['-j', '-4', 'route', 'show', 'dev', got.dev])) as IpRoute[];
  let best: { cidr: string; bits: number } | undefined;
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || r.gateway) continue;
    const cidr = normalized(r.dst);
    const bits = Number(cidr.split('/')[1]);
    if (cidrContains(cidr, ip) && (!best || bits > best.bits)) best = { cidr, bits };
  }
  // No directly attached route (the pod is behind a gateway): the pod's own address stands for it.
  return { cidr: best?.cidr ?? `${ip}/32`, dev: got.dev, ...(got.prefsrc ? { hostAddress: got.prefsrc } : {}) };
}

export class PodNetworkLearner {
  private readonly routes: PodRoute[] = [];
  private readonly listeners: ((network: LearnedPodNetwork) => Promise<void>)[] = [];
  /** Serializes lookups and announcements: each change is announced once, in order. */
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly opts: { lookup?: PodRouteLookup; log: Logger }) {}

  get current(): LearnedPodNetwork {
    const unique = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))];
    return { cidrs: unique(this.routes.map((r) => r.cidr)), interfaces: unique(this.routes.map((r) => r.dev)), hostAddresses: unique(this.routes.map((r) => r.hostAddress)) };
  }

  /** Called, and waited for, after every change. */
  onChange(listener: (network: LearnedPodNetwork) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Learns the routes to pod addresses not yet covered; resolves once every listener has heard of a change. */
  observe(ips: string[]): Promise<void> {
    const next = this.work.then(() => this.learn(ips));
    this.work = next.catch(() => undefined);
    return next;
  }

  private async learn(ips: string[]): Promise<void> {
    let changed = false;
    for (const ip of ips) {
      if (!ip || ip.includes(':') || this.routes.some((r) => cidrContains(r.cidr, ip))) continue;
      let route: PodRoute | undefined;
      try {
        route = await (this.opts.lookup ?? kernelRouteToPod)(ip);
      } catch (err) {
        this.opts.log.warn('cannot find the route to a pod address', { ip, error: (err as Error).message });
        continue;
      }
      if (!route) continue;
      this.routes.push(route);
      changed = true;
      this.opts.log.info('learned the pod network', { ip, ...route });
    }
    if (!changed) return;
    const network = this.current;
    for (const listener of this.listeners) {
      try {
        await listener(network);
      } catch (err) {
        this.opts.log.warn('could not apply the learned pod network', { error: (err as Error).message });
      }
    }
  }
}
