// Routes between nodes (host-gw): an informer on Nodes keeps, for every other Node, a route to its
// pod subnet via its InternalIP. Only the Node that changed is looked at; its route is replaced or
// deleted, nothing else is touched. The routes installed are written to a state file, so that a
// restarted agent removes the ones of Nodes that went away meanwhile, and stop() removes them all.
// Whoever must know the peers' subnets (the pod network, which must not masquerade traffic to
// them) hears of every change, coalesced.

import { readFile, writeFile, rename, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Node } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Logger } from '../../util/log.js';
import { kernelRoutes, type RouteTable } from './kernel.js';
import { routeTo, type LocalNode, type PeerRoute } from './plan.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const RETRY_MS = 2000;
const COALESCE_MS = 50;

export interface NodeRoutesOptions {
  client: ApiClient;
  self: LocalNode;
  /** Where the installed routes are remembered (one file per node agent). */
  stateFile: string;
  /** Told the peers' pod subnets whenever they change. */
  onPeerSubnets?(cidrs: string[]): Promise<void>;
  routes?: RouteTable;
  log: Logger;
}

export class NodeRoutes {
  private readonly informer: Informer<Node>;
  private readonly table: RouteTable;
  /** Node name → the route installed for it. */
  private readonly installed = new Map<string, PeerRoute>();
  private readonly pending = new Set<string>();
  private readonly skipped = new Map<string, string>();
  /** Routes known from the state file only: put in place again even when they look unchanged. */
  private readonly unverified = new Set<string>();
  private work: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private peersTimer: NodeJS.Timeout | undefined;
  private announced = '';
  private stopped = false;

  constructor(private readonly opts: NodeRoutesOptions) {
    this.table = opts.routes ?? kernelRoutes;
    this.informer = new Informer<Node>(opts.client, NODES);
    const changed = (n: Node) => this.enqueue(n.metadata.name!);
    this.informer.on({ add: changed, update: changed, delete: changed });
  }

  async start(): Promise<void> {
    // Routes of an earlier run of this agent, to be reconciled like any other.
    for (const [name, route] of Object.entries(await this.readState())) {
      this.installed.set(name, route);
      this.unverified.add(name);
    }
    for (const name of this.installed.keys()) this.pending.add(name);
    this.informer.start();
    await this.informer.synced;
    await this.flush();
  }

  /**
   * Stops watching and removes every route this agent installed, unless `keepRoutes` (pods that
   * outlive the agent stay reachable; the next start reconciles the routes it finds in the state).
   */
  async stop(options: { keepRoutes?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.peersTimer);
    this.informer.stop();
    await this.work.catch(() => undefined);
    if (options.keepRoutes) return;
    for (const [name, route] of [...this.installed]) {
      await this.table.delete(route).catch((err: Error) => this.opts.log.warn('removing a node route failed', { node: name, ...route, error: err.message }));
      this.installed.delete(name);
    }
    await rm(this.opts.stateFile, { force: true });
    await this.opts.onPeerSubnets?.([]).catch(() => undefined);
  }

  /** The routes in place, by node name (for diagnostics and tests). */
  routes(): Map<string, PeerRoute> {
    return new Map(this.installed);
  }

  private enqueue(name: string): void {
    if (this.stopped) return;
    this.pending.add(name);
    void this.flush().catch(() => undefined);
  }

  /** Reconciles the pending nodes, one after another. */
  private flush(): Promise<void> {
    this.work = this.work.catch(() => undefined).then(() => this.reconcilePending());
    return this.work;
  }

  private async reconcilePending(): Promise<void> {
    if (this.stopped || this.pending.size === 0) return;
    const names = [...this.pending];
    this.pending.clear();
    let failed = false;
    let changed = false;
    for (const name of names) {
      try {
        changed = (await this.reconcile(name)) || changed;
      } catch (err) {
        failed = true;
        this.pending.add(name);
        this.opts.log.warn('node route not in place; retrying', { node: name, error: (err as Error).message });
      }
    }
    if (changed) {
      await this.writeState().catch((err: Error) => {
        // The routes are in place; only a restart's clean-up would miss them. Written at the next change.
        this.opts.log.warn('node route state not written', { file: this.opts.stateFile, error: err.message });
      });
    }
    this.announcePeers();
    if (failed && !this.stopped && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush().catch(() => undefined);
      }, RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /** Brings one node's route in line with its Node; true when the table changed. */
  private async reconcile(name: string): Promise<boolean> {
    const node = this.informer.get('', name);
    const wanted = node ? routeTo(node, this.opts.self) : { skip: 'deleted' };
    const current = this.installed.get(name);
    if ('skip' in wanted) {
      if (node && this.skipped.get(name) !== wanted.skip) this.opts.log.info('no route to node', { node: name, reason: wanted.skip });
      this.skipped.set(name, wanted.skip);
      if (!node) this.skipped.delete(name);
      if (!current) return false;
      await this.table.delete(current);
      this.installed.delete(name);
      this.unverified.delete(name);
      return true;
    }
    this.skipped.delete(name);
    const same = current && current.cidr === wanted.cidr && current.via === wanted.via;
    if (same && !this.unverified.has(name)) return false;
    if (current && current.cidr !== wanted.cidr) await this.table.delete(current);
    await this.table.replace(wanted);
    this.installed.set(name, wanted);
    this.unverified.delete(name);
    this.opts.log.info('route to node', { node: name, ...wanted });
    return true;
  }

  private announcePeers(delay = COALESCE_MS): void {
    const notify = this.opts.onPeerSubnets;
    if (!notify || this.stopped || this.peersTimer) return;
    this.peersTimer = setTimeout(() => {
      this.peersTimer = undefined;
      if (this.stopped) return;
      const cidrs = [...new Set([...this.installed.values()].map((r) => r.cidr))].sort();
      const key = cidrs.join(',');
      if (key === this.announced) return;
      notify(cidrs).then(
        () => (this.announced = key),
        (err: Error) => {
          this.opts.log.warn('updating the pod network for peer subnets failed; retrying', { error: err.message });
          this.announcePeers(RETRY_MS);
        },
      );
    }, delay);
    this.peersTimer.unref();
  }

  private async readState(): Promise<Record<string, PeerRoute>> {
    const text = await readFile(this.opts.stateFile, 'utf8').catch(() => undefined);
    if (!text) return {};
    try {
      return JSON.parse(text) as Record<string, PeerRoute>;
    } catch {
      this.opts.log.warn('node route state unreadable; starting afresh', { file: this.opts.stateFile });
      return {};
    }
  }

  private async writeState(): Promise<void> {
    await mkdir(dirname(this.opts.stateFile), { recursive: true });
    const tmp = `${this.opts.stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.installed)));
    await rename(tmp, this.opts.stateFile);
  }
}
