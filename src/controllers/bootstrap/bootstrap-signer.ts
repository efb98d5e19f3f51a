// The bootstrap signer (kube-controller-manager's bootstrapsigner) and the publisher of
// cluster-info: the ConfigMap exists with the cluster's server and CA, and carries one detached
// JWS `jws-kubeconfig-<id>` per usable signing token — added, refreshed and removed as tokens change.

import { ApiError } from '../../api/errors.js';
import type { KubeObject } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_TYPE, isExpired, parseBootstrapSecret, type SecretObject } from '../../apiserver/auth/bootstrap-tokens.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY, clusterInfoKubeconfig } from './cluster-info.js';
import { detachedSignature } from './jws.js';

const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const SECRETS = ApiClient.resourceOf('v1', 'Secret');

type ConfigMap = KubeObject & { data?: Record<string, string> };

/** A failed write of cluster-info is tried again after this long (a new token must not wait for another change). */
const RETRY_MS = 5_000;

export class BootstrapSigner {
  private readonly configMaps: Informer<ConfigMap>;
  private readonly secrets: Informer<SecretObject>;
  private syncing: Promise<void> | undefined;
  private again = false;
  private retry: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly cluster: { server: string; caPem: string },
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.configMaps = new Informer<ConfigMap>(client, CONFIG_MAPS, { namespace: CLUSTER_INFO_NAMESPACE, fieldSelector: `metadata.name=${CLUSTER_INFO_NAME}` });
    this.secrets = new Informer<SecretObject>(client, SECRETS, { namespace: BOOTSTRAP_TOKEN_NAMESPACE, fieldSelector: `type=${BOOTSTRAP_TOKEN_TYPE}` });
    const queue = () => this.queue();
    this.configMaps.on({ add: queue, update: queue, delete: queue });
    this.secrets.on({ add: queue, update: queue, delete: queue });
  }

  async start(): Promise<void> {
    this.configMaps.start();
    this.secrets.start();
    await Promise.all([this.configMaps.synced, this.secrets.synced]);
    this.queue();
    await this.syncing;
  }

  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    this.configMaps.stop();
    this.secrets.stop();
  }

  /** One sync at a time; changes during a sync cause one more. */
  private queue(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        await this.sync();
      } while (this.again);
    })().finally(() => (this.syncing = undefined));
  }

  /** The data cluster-info should hold: the kubeconfig (kept if present) and a signature per signing token. */
  desired(current: ConfigMap | undefined): Record<string, string> {
    const kubeconfig = current?.data?.[KUBECONFIG_KEY] ?? clusterInfoKubeconfig(this.cluster.server, this.cluster.caPem);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(current?.data ?? {})) if (!k.startsWith(JWS_KEY_PREFIX)) data[k] = v;
    data[KUBECONFIG_KEY] = kubeconfig;
    const now = this.clock.now();
    for (const secret of this.secrets.list()) {
      const token = parseBootstrapSecret(secret);
      if (!token || secret.metadata.deletionTimestamp || isExpired(token, now) || !token.usages.includes('signing')) continue;
      data[JWS_KEY_PREFIX + token.id] = detachedSignature(kubeconfig, token.id, token.secret);
    }
    return data;
  }

  private async sync(): Promise<void> {
    const current = this.configMaps.get(CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME);
    const data = this.desired(current);
    try {
      if (!current) {
        await this.client.create(CONFIG_MAPS, CLUSTER_INFO_NAMESPACE, { metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE }, data });
      } else if (JSON.stringify(Object.entries(data).sort()) !== JSON.stringify(Object.entries(current.data ?? {}).sort())) {
        await this.client.update(CONFIG_MAPS, { ...current, data });
      }
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.code === 409)) return; // the informer brings the newer object
      this.log.warn('cluster-info update failed; retrying', { error: (err as Error).message, retryInMs: RETRY_MS });
      this.retry?.cancel();
      this.retry = this.clock.setTimeout(() => this.queue(), RETRY_MS);
    }
  }
}
