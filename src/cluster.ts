// A whole cluster in one process: store, watch cache, API server, and the components that are
// API clients of it. `k8ts up` and the programmatic `startCluster()` both come through here.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { CacheHub } from './apiserver/watch-cache.js';
import { Registry } from './apiserver/registry.js';
import { ApiServer } from './apiserver/server.js';
import { REGISTRY_PREFIX, resourcePrefix } from './apiserver/storage-keys.js';
import { bootstrap } from './apiserver/bootstrap.js';
import { ensurePki, ensureCertificate, type ClusterPki } from './apiserver/pki.js';
import { KubeletConnector } from './apiserver/pod-connector.js';
import { ServiceAccountTokens } from './apiserver/service-account-tokens.js';
import { Scheduler } from './scheduler/scheduler.js';
import { NodeAgent } from './agent/node-agent.js';
import { ApiEventSink } from './agent/api-seams.js';
import { defaultNodeName } from './defaults.js';
export { defaultDataDir } from './defaults.js';
import { createProcessNode } from './agent/process-node.js';
import { startSimulatedNodes, type SimulatedNodes } from './agent/simulated-nodes.js';
import { requestServiceAccountToken } from './agent/tokens.js';
import type { Runtime } from './runtime/types.js';
import { resources } from './api/resources.js';
import { ApiClient } from './client/client.js';
import { ServiceAccountController } from './controllers/serviceaccounts.js';
import { NamespaceController } from './controllers/namespaces.js';
import { startBatchAndLifecycleControllers } from './controllers/batch.js';
import { startWorkloadControllers } from './controllers/workloads.js';
import { EndpointsController } from './controllers/endpoints/controller.js';
import { EndpointSliceController } from './controllers/endpointslice/controller.js';
import { startNodeDns } from './network/dns/index.js';
import { ServiceProxy, kubernetesServiceIP } from './network/proxy/index.js';
import type { DnsConfig } from './runtime/types.js';
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
  /** Events the watch cache keeps per resource for resuming watches (default 5000). */
  watchHistory?: number;
  logger?: Logger;
  clock?: Clock;
  /** Reports progress while starting (`k8ts up` prints these). */
  onProgress?: (step: string) => void;
  /** Run a node agent in-process on this runtime (absent: control plane only). */
  node?: NodeOptions;
  /** Add this many simulated nodes: real node agents on the fake runtime, without processes. */
  simulatedNodes?: number;
}

export interface NodeOptions {
  /** A runtime, or `process` for this machine's processes on a pod network of the cluster's own. */
  runtime: Runtime | 'process';
  /** Node name (default: the host name). */
  name?: string;
  /** Where pods' volumes and logs live (default <dataDir>/agent). */
  rootDir?: string;
  /** The node's addresses (default 127.0.0.1). */
  ips?: string[];
  /** The node's pod subnet (default 10.244.0.0/24). */
  podCIDR?: string;
  /** Keep pods running when the cluster stops (as a restarting kubelet does). Default false. */
  keepPodsOnStop?: boolean;
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
  /** The in-process node agent, when one was asked for. */
  agent?: NodeAgent;
  nodeName?: string;
  simulated?: SimulatedNodes;
  stop(): Promise<void>;
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
    // Pods reach the API server at the `kubernetes` Service's IP and names (the service proxy's work).
    const serviceCidr = options.serviceCidr ?? '10.96.0.0/12';
    const pki = await ensurePki(join(dataDir, 'pki'), [address, kubernetesServiceIP(serviceCidr), 'kubernetes.default.svc.cluster.local']);

    progress('filling the watch cache');
    const hub = new CacheHub(store, REGISTRY_PREFIX, options.watchHistory ? { historyPerResource: options.watchHistory } : {});
    for (const r of resources) hub.cache(resourcePrefix(r));
    await hub.start();
    cleanups.push(() => hub.stop());

    const registry = new Registry(store, hub, clock, serviceCidr);
    const tokens = new Map<string, { name: string; groups: string[] }>();
    const serviceAccountTokens = new ServiceAccountTokens(join(pki.dir, 'service-account.key'));
    const kubeletClient = await ensureCertificate(pki.dir, 'apiserver-kubelet-client', pki.ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
    const apiServer = new ApiServer({
      registry,
      serviceAccountTokens,
      connector: new KubeletConnector(registry, { client: kubeletClient }),
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
    const scheduler = new Scheduler(client, clock, new ApiEventSink(client), log.child('scheduler'));
    const endpoints = new EndpointsController(client, log.child('endpoints'));
    const endpointSlices = new EndpointSliceController(client, log.child('endpointslices'));
    const [workloads] = await Promise.all([
      startWorkloadControllers(client, { clock, log: log.child('workloads') }),
      serviceAccounts.start(),
      namespaces.start(),
      scheduler.start(),
      endpoints.start(),
      endpointSlices.start(),
    ]);
    cleanups.push(() => {
      workloads.stop();
      serviceAccounts.stop();
      namespaces.stop();
      scheduler.stop();
      endpoints.stop();
      endpointSlices.stop();
    });
    const batch = await startBatchAndLifecycleControllers(client, { clock, log: log.child('controllers') });
    cleanups.push(() => batch.stop());

    let agent: NodeAgent | undefined;
    const nodeName = options.node ? options.node.name ?? defaultNodeName() : undefined;
    if (options.node && nodeName) {
      progress('starting the node agent');
      const ips = options.node.ips ?? ['127.0.0.1'];
      const podCIDR = options.node.podCIDR ?? '10.244.0.0/24';
      let runtime: Runtime;
      let dnsConfig: DnsConfig | undefined;
      if (options.node.runtime === 'process') {
        const processNode = await createProcessNode({ dataDir, podCIDR, clock });
        runtime = processNode.runtime;
        if (!options.node.keepPodsOnStop) cleanups.push(() => processNode.shutdown());
        else cleanups.push(() => processNode.runtime.close());
        progress('starting the service proxy and cluster DNS');
        const { network } = processNode;
        const proxy = new ServiceProxy({
          client,
          clusterId: network.clusterId,
          podCIDR: network.podCIDR,
          podInterface: network.names.bridge,
          ...(address.startsWith('127.') || address === '0.0.0.0' ? { loopbackApiServer: { port } } : {}),
          log: log.child('proxy'),
        });
        cleanups.push(() => proxy.stop({ keepRules: options.node!.keepPodsOnStop === true }));
        const [, nodeDns] = await Promise.all([proxy.start(), startNodeDns({ client, host: network.gateway, serviceCidr, log: log.child('dns') })]);
        cleanups.push(() => nodeDns.dns.stop());
        dnsConfig = nodeDns.dnsConfig;
      } else {
        runtime = options.node.runtime;
      }
      const serving = await ensureCertificate(pki.dir, `agent-${nodeName}`, pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], hosts: ['localhost', ...ips], usage: 'server' });
      agent = new NodeAgent({
        client,
        nodeName,
        runtime,
        clock,
        rootDir: options.node.rootDir ?? join(dataDir, 'agent'),
        nodeIPs: ips,
        tls: { ca: pki.ca.certPem, serving },
        labels: { 'node-role.kubernetes.io/control-plane': '' },
        podCIDR,
        ...(dnsConfig ? { dnsConfig } : {}),
        tokenSource: (pod, audience, expirationSeconds) => requestServiceAccountToken(client, pod, audience, expirationSeconds),
        log: log.child('agent'),
      });
      await agent.start();
      cleanups.push(() => agent!.stop());
    }

    let simulated: SimulatedNodes | undefined;
    if (options.simulatedNodes) {
      progress(`starting ${options.simulatedNodes} simulated nodes`);
      const serving = await ensureCertificate(pki.dir, 'agent-simulated', pki.ca, { commonName: 'system:node:simulated', organizations: ['system:nodes'], hosts: ['localhost', '127.0.0.1'], usage: 'server' });
      simulated = await startSimulatedNodes({
        client,
        count: options.simulatedNodes,
        clock,
        rootDir: join(dataDir, 'simulated'),
        tls: { ca: pki.ca.certPem, serving },
        log: log.child('simulated'),
      });
      cleanups.push(() => simulated!.stop());
    }

    return {
      server,
      port,
      dataDir,
      kubeconfig: renderKubeconfig(credentials),
      kubeconfigPath,
      pki,
      client,
      store,
      ...(agent ? { agent, nodeName } : {}),
      ...(simulated ? { simulated } : {}),
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
