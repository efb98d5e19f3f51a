// Node IPAM (kube-controller-manager's nodeipam with --allocate-node-cidrs and the range
// allocator): every Node gets spec.podCIDR/podCIDRs, a subnet of the cluster CIDR. What is in use
// is derived from the Nodes themselves, so a restarted controller knows it again: subnets Nodes
// already carry (set by their agents or by an earlier run) are occupied before anything is handed
// out, and never given to a second Node; a deleted Node's subnet is free again. A Node that finds
// the range exhausted gets a CIDRNotAvailable event and is served when a subnet is released.

import type { Node } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { controllerRecorder, type Recorder } from '../shared/events.js';
import { WorkQueue } from '../shared/queue.js';
import { CidrSet } from './cidr-set.js';

const NODES = ApiClient.resourceOf('v1', 'Node');

export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export interface NodeIpamOptions {
  client: ApiClient;
  clock: Clock;
  log: Logger;
  /** The range node subnets come from (default 10.244.0.0/16). */
  clusterCidr?: string;
  /** The prefix length of a node's subnet (default 24). */
  nodeCidrMaskSize?: number;
  /** A Service range overlapping the cluster CIDR is never handed out. */
  serviceCidr?: string;
  /** A shared Node informer (started by its owner); default: one of the controller's own. */
  nodes?: Informer<Node>;
}

function podCidrsOf(node: Node): string[] {
  const list = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  return list.filter((c) => !c.includes(':'));
}

export class NodeIpamController {
  readonly cidrs: CidrSet;
  private readonly nodes: Informer<Node>;
  private readonly ownInformer: boolean;
  private readonly queue: WorkQueue;
  private readonly recorder: Recorder;
  /** Subnet → the Node holding it. */
  private readonly owners = new Map<string, string>();
  /** Nodes told CIDRNotAvailable, served again when a subnet is released. */
  private readonly waiting = new Set<string>();
  private ready = false;
  /** `node/cidr` pairs already logged as not tracked (status updates repeat every few seconds). */
  private readonly noted = new Set<string>();

  constructor(private readonly opts: NodeIpamOptions) {
    this.cidrs = new CidrSet(opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR, opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE);
    if (opts.serviceCidr) this.cidrs.occupy(opts.serviceCidr);
    this.ownInformer = !opts.nodes;
    this.nodes = opts.nodes ?? new Informer<Node>(opts.client, NODES);
    this.recorder = controllerRecorder(opts.client, opts.clock, 'cidrAllocator', 'v1', 'Node');
    this.queue = new WorkQueue((name) => this.sync(name), { clock: opts.clock, log: opts.log, workers: 1, baseDelayMs: 200 });
    this.nodes.on({
      add: (n) => this.ready && this.observe(n),
      update: (n) => this.ready && this.observe(n),
      delete: (n) => this.ready && this.forget(n),
    });
  }

  async start(): Promise<void> {
    if (this.ownInformer) this.nodes.start();
    await this.nodes.synced;
    // Every subnet already in use is known before the first one is handed out.
    const existing = this.nodes.list();
    for (const n of existing) this.occupy(n);
    this.ready = true;
    for (const n of existing) if (podCidrsOf(n).length === 0) this.queue.add(n.metadata.name!);
    this.queue.start();
  }

  stop(): void {
    this.queue.stop();
    if (this.ownInformer) this.nodes.stop();
  }

  /** Resolves when no Node is being processed (for tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private observe(node: Node): void {
    if (podCidrsOf(node).length > 0) this.occupy(node);
    else this.queue.add(node.metadata.name!);
  }

  private occupy(node: Node): void {
    const name = node.metadata.name!;
    for (const cidr of podCidrsOf(node)) {
      const owner = this.owners.get(cidr);
      if (owner === name) continue;
      const note = `${name}/${cidr}`;
      if (owner) {
        if (!this.noted.has(note)) this.opts.log.warn('two nodes carry the same pod CIDR', { cidr, node: name, holder: owner });
        this.noted.add(note);
        continue;
      }
      if (!this.cidrs.contains(cidr)) {
        // An agent's own --pod-cidr outside the cluster CIDR: its business, nothing to reserve here.
        if (!this.noted.has(note)) this.opts.log.info('node pod CIDR outside the cluster CIDR; not tracked', { node: name, cidr, clusterCidr: this.opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR });
        this.noted.add(note);
        continue;
      }
      this.cidrs.occupy(cidr);
      this.owners.set(cidr, name);
    }
    this.waiting.delete(name);
  }

  private forget(node: Node): void {
    const name = node.metadata.name!;
    this.waiting.delete(name);
    for (const cidr of podCidrsOf(node)) this.noted.delete(`${name}/${cidr}`);
    let released = false;
    for (const cidr of podCidrsOf(node)) {
      if (this.owners.get(cidr) !== name) continue;
      this.owners.delete(cidr);
      this.cidrs.release(cidr);
      released = true;
    }
    if (released) for (const w of this.waiting) this.queue.add(w);
  }

  private async sync(name: string): Promise<void> {
    const node = this.nodes.get('', name);
    if (!node || node.metadata.deletionTimestamp || podCidrsOf(node).length > 0) return;
    const cidr = this.cidrs.allocateNext();
    if (!cidr) {
      if (!this.waiting.has(name)) {
        this.waiting.add(name);
        this.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        this.opts.log.warn('no pod CIDR left for node', { node: name, clusterCidr: this.opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR });
      }
      return;
    }
    this.owners.set(cidr, name);
    try {
      await this.opts.client.patch(NODES, '', name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      this.waiting.delete(name);
      this.opts.log.info('set node pod CIDR', { node: name, cidr });
    } catch (err) {
      this.owners.delete(cidr);
      this.cidrs.release(cidr);
      // Gone, or given a subnet by someone else meanwhile: the informer brings the news.
      if (err instanceof ApiError && (err.code === 404 || err.code === 422)) return;
      this.recorder.event(node, 'Normal', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
      throw err;
    }
  }
}
