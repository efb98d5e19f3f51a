// A whole cluster in one process: store, watch cache, API server, and the components that are
// API clients of it. `k8ts up` and the programmatic `startCluster()` both come through here.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { CacheHub } from './apiserver/watch-cache.js';
import { Registry } from './apiserver/registry.js';
import { ApiServer } from './apiserver/server.js';
import { REGISTRY_PREFIX, resourcePrefix } from './apiserver/storage-keys.js';
import { bootstrap } from './apiserver/bootstrap.js';
import { ensurePki, type ClusterPki } from './apiserver/pki.js';
import { resources } from './api/resources.js';
import { ApiClient } from './client/client.js';
import { ServiceAccountController } from './controllers/serviceaccounts.js';
import { NamespaceController } from './controllers/namespaces.js';
import { renderKubeconfig, writeKubeconfig, mergeIntoKubeconfig, userKubeconfigPath } from './cli/kubeconfig.js';
import { realClock, type Clock } from './util/clock.js';
import { silentLogger, type Logger } from './util/log.js';

export interface ClusterOptions {
  /** Where state, certificates and kubeconfig live. Default: a new temporary directory (removed on stop). */
  dataDir?: string;
  /** Bind address (default 127.0.0.1). */
  address?: string;
  /** Port (default 0: a free port). */
  port?: number;
  store?: 'sqlite' | 'memory';
  /** Merge the cluster into the user's kubeconfig and make it current. Default false. */
  writeUserKubeconfig?: boolean;
  /** Path of the user's kubeconfig to merge into (default $KUBECONFIG or ~/.kube/config). */
  userKubeconfig?: string;
  serviceCidr?: string;
  logger?: Logger;
  clock?: Clock;
  /** Reports progress while starting (`k8ts up` prints these). */
  onProgress?: (step: string) => void;
}

export interface Cluster {
  /** https://address:port */
  server: string;
  port: number;
  dataDir: string;
  /** The admin kubeconfig as YAML text, and its path in the data directory. */
  kubeconfig: string;
  kubeconfigPath: string;
  pki: ClusterPki;
  /** An admin client of the API. */
  client: ApiClient;
  store: Store;
  stop(): Promise<void>;
}

/** The default data directory: $K8TS_DATA_DIR or ~/.k8ts. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.K8TS_DATA_DIR || join(homedir(), '.k8ts');
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const progress = options.onProgress ?? (() => {});
  const log = options.logger ?? silentLogger;
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'k8ts-'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const address = options.address ?? '127.0.0.1';
  const clock = options.clock ?? realClock;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log.warn('shutdown step failed', { error: (err as Error).message });
      }
    }
    cleanups.length = 0;
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    progress('opening the store');
    const store =
      options.store === 'memory' ? await openStore({ backend: 'memory' }) : await openStore({ backend: 'sqlite', path: join(dataDir, 'store') });
    cleanups.push(() => store.close());

    progress('loading certificates');
    const pki = await ensurePki(join(dataDir, 'pki'), [address]);

    progress('filling the watch cache');
    const hub = new CacheHub(store, REGISTRY_PREFIX);
    for (const r of resources) hub.cache(resourcePrefix(r));
    await hub.start();
    cleanups.push(() => hub.stop());

    const registry = new Registry(store, hub, clock, options.serviceCidr ?? '10.96.0.0/12');
    const tokens = new Map<string, { name: string; groups: string[] }>();
    const apiServer = new ApiServer({
      registry,
      tls: { cert: pki.serving.certPem, key: pki.serving.keyPem, ca: pki.ca.certPem },
      authenticator: { token: (t) => tokens.get(t) },
      advertiseAddress: address,
      log: (m, f) => log.error(m, f),
    });
    progress('starting the API server');
    const port = await apiServer.listen(options.port ?? 0, address);
    cleanups.push(() => apiServer.close());
    const server = `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
    log.info('API server listening', { server });

    await bootstrap(registry, { host: address === '0.0.0.0' ? '127.0.0.1' : address, port });

    const credentials = { name: 'k8ts', server, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, credentials);
    if (options.writeUserKubeconfig) mergeIntoKubeconfig(options.userKubeconfig ?? userKubeconfigPath(), credentials);

    const client = new ApiClient({ server, ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem, userAgent: 'k8ts-controller-manager' });
    cleanups.push(() => client.close());

    progress('starting controllers');
    const serviceAccounts = new ServiceAccountController(client, pki.ca.certPem, log.child('serviceaccounts'));
    const namespaces = new NamespaceController(client, log.child('namespaces'));
    await Promise.all([serviceAccounts.start(), namespaces.start()]);
    cleanups.push(() => {
      serviceAccounts.stop();
      namespaces.stop();
    });

    return {
      server,
      port,
      dataDir,
      kubeconfig: renderKubeconfig(credentials),
      kubeconfigPath,
      pki,
      client,
      store,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A random id for names that must be unique to this cluster (bridges, chains). */
export function newClusterId(): string {
  return randomBytes(3).toString('hex');
}
