// Every active namespace gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap
// (the service-account and root-CA-publisher controllers of kube-controller-manager).

import type { KubeObject } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { ApiClient } from '../client/client.js';
import { Informer } from '../client/informer.js';
import type { Logger } from '../util/log.js';

const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
const SERVICE_ACCOUNTS = ApiClient.resourceOf('v1', 'ServiceAccount');
const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');

export class ServiceAccountController {
  private readonly namespaces: Informer;
  private readonly accounts: Informer;
  private readonly configMaps: Informer;

  constructor(
    private readonly client: ApiClient,
    private readonly caPem: string,
    private readonly log: Logger,
  ) {
    this.namespaces = new Informer(client, NAMESPACES);
    this.accounts = new Informer(client, SERVICE_ACCOUNTS, { fieldSelector: 'metadata.name=default' });
    this.configMaps = new Informer(client, CONFIG_MAPS, { fieldSelector: 'metadata.name=kube-root-ca.crt' });
    const sync = (ns: KubeObject) => void this.ensure(ns.metadata.name!);
    this.namespaces.on({ add: sync, update: sync });
    const resync = (o: KubeObject) => {
      const ns = this.namespaces.get('', o.metadata.namespace!);
      if (ns) sync(ns);
    };
    this.accounts.on({ delete: resync });
    this.configMaps.on({ delete: resync, update: resync });
  }

  async start(): Promise<void> {
    this.accounts.start();
    this.configMaps.start();
    await Promise.all([this.accounts.synced, this.configMaps.synced]);
    this.namespaces.start();
    await this.namespaces.synced;
  }

  stop(): void {
    this.namespaces.stop();
    this.accounts.stop();
    this.configMaps.stop();
  }

  private async ensure(namespace: string): Promise<void> {
    const ns = this.namespaces.get('', namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    try {
      if (!this.accounts.get(namespace, 'default')) {
        await ignoreExists(this.client.create(SERVICE_ACCOUNTS, namespace, { metadata: { name: 'default', namespace } }));
      }
      const cm = this.configMaps.get(namespace, 'kube-root-ca.crt') as (KubeObject & { data?: Record<string, string> }) | undefined;
      if (!cm) {
        await ignoreExists(
          this.client.create(CONFIG_MAPS, namespace, {
            metadata: { name: 'kube-root-ca.crt', namespace, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
            data: { 'ca.crt': this.caPem },
          }),
        );
      } else if (cm.data?.['ca.crt'] !== this.caPem) {
        await this.client.patch(CONFIG_MAPS, namespace, 'kube-root-ca.crt', { data: { 'ca.crt': this.caPem } });
      }
    } catch (err) {
      if (err instanceof ApiError && (err.code === 403 || err.code === 404)) return;
      this.log.warn('service account sync failed', { namespace, error: (err as Error).message });
    }
  }
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}
