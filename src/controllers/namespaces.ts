// Deleting a namespace deletes everything in it, then the namespace itself (the namespace
// controller): while content remains the namespace shows Terminating.

import type { KubeObject } from '../api/types.js';
import { resources } from '../api/resources.js';
import { ApiError } from '../api/errors.js';
import { ApiClient, resourcePath } from '../client/client.js';
import { Informer } from '../client/informer.js';
import type { Logger } from '../util/log.js';

const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const RETRY_MS = 1000;

/** Namespaced resources whose objects a namespace deletion removes (events.k8s.io shares core events). */
const contentResources = resources.filter((r) => r.namespaced && r.verbs.includes('deletecollection') && r.group !== 'events.k8s.io');

export class NamespaceController {
  private readonly informer: Informer;
  private readonly active = new Set<string>();
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly log: Logger,
  ) {
    this.informer = new Informer(client, NAMESPACES);
    const check = (ns: KubeObject) => {
      if (ns.metadata.deletionTimestamp) void this.finalize(ns.metadata.name!);
    };
    this.informer.on({ add: check, update: check });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.synced;
  }

  stop(): void {
    this.stopped = true;
    this.informer.stop();
  }

  private async finalize(name: string): Promise<void> {
    if (this.active.has(name)) return;
    this.active.add(name);
    try {
      while (!this.stopped) {
        const remaining = await this.deleteContent(name);
        if (remaining === 0) {
          const ns = this.informer.get('', name);
          if (!ns) return;
          await this.client.request('PUT', resourcePath(NAMESPACES, undefined, name, 'finalize'), {
            body: { ...ns, spec: { ...(ns.spec as object), finalizers: [] } },
          });
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) {
        this.log.warn('namespace deletion failed; retrying', { namespace: name, error: (err as Error).message });
        this.active.delete(name);
        setTimeout(() => void this.finalize(name), RETRY_MS).unref();
        return;
      }
    } finally {
      this.active.delete(name);
    }
  }

  /** Deletes what is left in the namespace; returns how many objects still exist. */
  private async deleteContent(namespace: string): Promise<number> {
    let remaining = 0;
    for (const info of contentResources) {
      const list = await this.client.list(info, namespace, { limit: 500 });
      if (!list.items.length) continue;
      remaining += list.items.length;
      await this.client.request('DELETE', resourcePath(info, namespace), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    }
    return remaining;
  }
}
