// A whole cluster in one process: store, watch cache, API server, and the components that are
// API clients of it. `k8ts up` and the programmatic `startCluster()` both come through here.

import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { safeRemoveSync } from './util/safe-remove.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import type { EtcdStoreConfig } from './store/etcd/config.js';
import { CacheHub } from './apiserver/watch-cache.js';
import { Registry } from './apiserver/registry.js';
import { ApiServer } from './apiserver/server.js';
import { REGISTRY_PREFIX, resourcePrefix } from './apiserver/storage-keys.js';
import { bootstrap, claimClusterIdentity, clusterIdentityOf } from './apiserver/bootstrap.js';
import { LeaseEndpointReconciler } from './apiserver/endpoint-reconciler.js';
import { ensurePki, ensureCertificate, type ClusterPki } from './apiserver/pki.js';
import { KubeletConnector } from './apiserver/pod-connector.js';
import { ServiceAccountTokens } from './apiserver/service-account-tokens.js';
import { Scheduler } from './scheduler/scheduler.js';
import { NodeAgent } from './agent/node-agent.js';
import { ApiEventSink } from './agent/api-seams.js';
import { KubeletEventRecorder } from './kubelet/events.js';
import { LeaderElectedComponent, candidateIdentity, type Running } from './leaderelection/index.js';
import { defaultNodeName } from './defaults.js';
export { defaultDataDir } from './defaults.js';
import { clusterIdOf, createProcessNode } from './agent/process-node.js';
import { startSimulatedNodes, type SimulatedNodes } from './agent/simulated-nodes.js';
import { requestServiceAccountToken } from './agent/tokens.js';
import type { Runtime } from './runtime/types.js';
import { resources } from './api/resources.js';
import { ApiClient } from './client/client.js';
import { ServiceAccountController } from './controllers/serviceaccounts.js';
import { NamespaceController } from './controllers/namespaces.js';
import { startBatchAndLifecycleControllers } from './controllers/batch.js';
import { NodeIpamController, DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE } from './controllers/nodeipam/controller.js';
import { startWorkloadControllers } from './controllers/workloads.js';
import { EndpointsController } from './controllers/endpoints/controller.js';
import { EndpointSliceController } from './controllers/endpointslice/controller.js';
import { startNodeJoinControllers } from './controllers/bootstrap/index.js';
import { clusterDnsIP, ensureDnsService } from './network/dns/index.js';
import { kubernetesServiceIP } from './network/proxy/index.js';
import { startNodeServices, type NodePodNetwork } from './network/proxy/node-services.js';
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
  /** Where objects are kept: SQLite in the data directory (default), memory, or an etcd cluster. */
  store?: 'sqlite' | 'memory' | EtcdStoreConfig;
  /** Merge the cluster into the user's kubeconfig and make it current. Default false. */
  writeUserKubeconfig?: boolean;
  /** Path of the user's kubeconfig to merge into (default $KUBECONFIG or ~/.kube/config). */
  userKubeconfig?: string;
  serviceCidr?: string;
  /** Node IPAM: each Node gets a subnet of this range as spec.podCIDR (default 10.244.0.0/16); false: none. */
  clusterCidr?: string | false;
  /** The prefix length of a Node's subnet (default 24). */
  nodeCidrMaskSize?: number;
  /** How long a node may stay silent before its Ready condition turns Unknown (default 50 s). */
  nodeMonitorGracePeriodMs?: number;
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
  /**
   * Run the scheduler and the controller manager only while this process holds their Leases in
   * kube-system, so several servers on one store have one active of each. Default true.
   */
  leaderElect?: boolean;
  /**
   * The cluster's CA and service-account key (default <dataDir>/pki). Every API server on one
   * store needs the same ones: copy the first server's directory.
   */
  pkiDir?: string;
  /** More names and addresses the API server's certificate covers (a load balancer's, say). */
  tlsSans?: string[];
}

export interface NodeOptions {
  /**
   * A runtime, `process` for this machine's processes on a pod network of the cluster's own, or
   * `cri` for containers through CRI (containerd of the cluster's own, or the one at criEndpoint).
   */
  runtime: Runtime | 'process' | 'cri';
  /** With runtime `cri`: a running containerd or CRI-O (`unix:///path/to/socket`). */
  criEndpoint?: string;
  /** With runtime `cri` and no endpoint: registries (host:port) pulled from over plain HTTP. */
  insecureRegistries?: string[];
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
  /** The scheduler and the controller manager, each running here only while leading. */
  controlPlane: { scheduler: ControlPlaneComponent; controllerManager: ControlPlaneComponent };
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
    if (temporary) {
      try {
        // Never through what a node that did not stop left mounted there.
        safeRemoveSync(dataDir);
      } catch (err) {
        log.warn('temporary data directory left in place', { dir: dataDir, error: (err as Error).message });
      }
    }
  };

  try {
    progress('opening the store');
    const store = await openClusterStore(options, dataDir);
    cleanups.push(() => store.close());

    progress('loading certificates');
    // Pods reach the API server at the `kubernetes` Service's IP and names (the service proxy's work).
    const serviceCidr = options.serviceCidr ?? '10.96.0.0/12';
    const pki = await ensurePki(options.pkiDir ?? join(dataDir, 'pki'), [address, kubernetesServiceIP(serviceCidr), 'kubernetes.default.svc.cluster.local', ...(options.tlsSans ?? [])]);

    const api = await startApiServer({ store, pki, address, port: options.port ?? 0, serviceCidr, clock, log, progress, ...(options.watchHistory ? { watchHistory: options.watchHistory } : {}) });
    cleanups.push(() => api.close());
    const { server, port } = api;

    const credentials = { name: 'k8ts', server, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, credentials);
    if (options.writeUserKubeconfig) mergeIntoKubeconfig(options.userKubeconfig ?? userKubeconfigPath(), credentials);

    const client = new ApiClient({ server, ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem, userAgent: 'k8ts-controller-manager' });
    cleanups.push(() => client.close());

    progress('starting controllers');
    const components: ComponentContext = {
      client,
      clock,
      pki,
      log,
      ...(storeIsExclusive(options) ? { identityDir: dataDir } : {}),
      ...(options.nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs } : {}),
      ...(options.clusterCidr !== false
        ? { nodeIpam: { clusterCidr: options.clusterCidr ?? DEFAULT_CLUSTER_CIDR, nodeCidrMaskSize: options.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE, serviceCidr } }
        : {}),
    };
    const leaderElect = options.leaderElect ?? true;
    const controllerManager = controlPlaneComponent('kube-controller-manager', startControllerManager, components, leaderElect);
    const scheduler = controlPlaneComponent(SCHEDULER_NAME, startScheduler, components, leaderElect);
    cleanups.push(() => controllerManager.stop(), () => scheduler.stop());
    // The cluster DNS's Service, as kubeadm installs it: each node's DNS server publishes itself as an endpoint.
    const dnsService = ensureDnsService(client, clusterDnsIP(serviceCidr)).catch((err: Error) => log.warn('could not create the kube-dns Service', { error: err.message }));
    await Promise.all([controllerManager.start(), scheduler.start(), dnsService]);

    let agent: NodeAgent | undefined;
    const nodeName = options.node ? options.node.name ?? defaultNodeName() : undefined;
    if (options.node && nodeName) {
      progress('starting the node agent');
      agent = await startLocalNode(options.node, nodeName, { client, clock, pki, log, dataDir, address, port, serviceCidr, progress, cleanups });
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
      controlPlane: { scheduler, controllerManager },
      ...(agent ? { agent, nodeName } : {}),
      ...(simulated ? { simulated } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Whether no other server can share this cluster's store: sqlite's data directory is locked to one process. */
function storeIsExclusive(options: ClusterOptions): boolean {
  return options.store === undefined || options.store === 'sqlite';
}

/**
 * A component's leader-election identity kept in the data directory. A restarted server that kept
 * its store is the only candidate there is, so it takes its Leases back at once instead of waiting
 * out the term of the process it replaced.
 */
function persistentIdentity(dataDir: string, component: string): string {
  const file = join(dataDir, `leader-identity.${component}`);
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return kept;
  } catch {
    // none yet
  }
  const identity = candidateIdentity();
  writeFileSync(file, identity + '\n', { mode: 0o600 });
  return identity;
}

/** The store the options name: SQLite in the data directory unless told otherwise. */
async function openClusterStore(options: ClusterOptions, dataDir: string): Promise<Store> {
  if (options.store === 'memory') return openStore({ backend: 'memory' });
  if (typeof options.store === 'object') return openStore({ backend: 'etcd', ...options.store });
  return openStore({ backend: 'sqlite', path: join(dataDir, 'store') });
}

interface ApiServerStage {
  store: Store;
  pki: ClusterPki;
  address: string;
  port: number;
  serviceCidr: string;
  watchHistory?: number;
  clock: Clock;
  log: Logger;
  progress: (step: string) => void;
}

interface RunningApiServer {
  server: string;
  port: number;
  close(): Promise<void>;
}

/** The watch cache, the registry and the HTTPS API server, with its post-start bootstrap done. */
async function startApiServer(stage: ApiServerStage): Promise<RunningApiServer> {
  const { store, pki, address, clock, log, progress } = stage;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  };
  try {
    progress('filling the watch cache');
    const hub = new CacheHub(store, REGISTRY_PREFIX, stage.watchHistory ? { historyPerResource: stage.watchHistory } : {});
    for (const r of resources) hub.cache(resourcePrefix(r));
    await hub.start();
    closers.push(() => hub.stop());

    const registry = new Registry(store, hub, clock, stage.serviceCidr);
    const tokens = new Map<string, { name: string; groups: string[] }>();
    const serviceAccountKey = join(pki.dir, 'service-account.key');
    const serviceAccountTokens = new ServiceAccountTokens(serviceAccountKey);
    await claimClusterIdentity(store, clusterIdentityOf(pki.ca.certPem, serviceAccountKey), pki.dir);
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
    const port = await apiServer.listen(stage.port, address);
    closers.push(() => apiServer.close());
    const server = `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
    log.info('API server listening', { server });

    await bootstrap(registry, { port });
    // Endpoints may not name loopback addresses: a server bound to loopback only has none to publish.
    if (!isLoopback(address) && address !== '0.0.0.0' && address !== '::') {
      const endpoints = new LeaseEndpointReconciler({ registry, clock, ip: address, port, log: log.child('endpoint-reconciler') });
      await endpoints.start();
      closers.push(() => endpoints.stop());
    }
    return { server, port, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

/** What the control-plane components (API clients all) are given. */
interface ComponentContext {
  client: ApiClient;
  clock: Clock;
  pki: ClusterPki;
  log: Logger;
  /** Where each component's leader-election identity is kept (absent: a new one per start). */
  identityDir?: string;
  nodeMonitorGracePeriodMs?: number;
  /** Node IPAM's ranges (absent: no allocation). */
  nodeIpam?: { clusterCidr: string; nodeCidrMaskSize: number; serviceCidr: string };
}

type RunningComponent = Running;

/** A control-plane component as the cluster runs it: under its own leader election, or always. */
export interface ControlPlaneComponent {
  /** Whether it runs in this process now. */
  readonly leading: boolean;
  /** Its candidate identity (`<hostname>_<uuid>`) when elected. */
  readonly identity?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The Lease names and event sources are upstream's: kube-scheduler's lease is `kube-scheduler`. */
const SCHEDULER_NAME = 'kube-scheduler';
const EVENT_SOURCE: Record<string, string> = { 'kube-scheduler': 'default-scheduler', 'kube-controller-manager': 'kube-controller-manager' };

function controlPlaneComponent(name: string, start: (ctx: ComponentContext) => Promise<RunningComponent>, ctx: ComponentContext, leaderElect: boolean): ControlPlaneComponent {
  if (!leaderElect) {
    let running: RunningComponent | undefined;
    return {
      get leading() {
        return running !== undefined;
      },
      start: async () => void (running = await start(ctx)),
      stop: async () => {
        const r = running;
        running = undefined;
        await r?.stop();
      },
    };
  }
  // Elections coordinate real processes, so they run on real time even when the components run
  // on an injected clock (a cluster on a fake clock would otherwise miss renewals between leaps).
  const recorder = new KubeletEventRecorder({ sink: new ApiEventSink(ctx.client), clock: realClock, component: EVENT_SOURCE[name] ?? name, host: '' });
  return new LeaderElectedComponent({ client: ctx.client, clock: realClock, leaseName: name, recorder, ...(ctx.identityDir ? { identity: persistentIdentity(ctx.identityDir, name) } : {}), start: () => start(ctx), log: ctx.log.child(`${name}-election`) });
}

/**
 * The controller manager: every controller, started together and stopped together. A start that
 * fails stops what did start, so a term that could not begin (and the next term's retry) leaves no
 * controllers running behind it.
 */
async function startControllerManager({ client, clock, pki, log, nodeIpam: ipam, nodeMonitorGracePeriodMs }: ComponentContext): Promise<RunningComponent> {
  const stoppers: (() => void)[] = [];
  const stop = () => {
    for (const s of stoppers.splice(0).reverse()) s();
  };
  const settle = async (starts: Promise<{ stop(): void } | void>[]) => {
    const results = await Promise.allSettled(starts);
    for (const r of results) if (r.status === 'fulfilled' && r.value) stoppers.push(() => r.value!.stop());
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    const serviceAccounts = new ServiceAccountController(client, pki.ca.certPem, log.child('serviceaccounts'));
    const namespaces = new NamespaceController(client, log.child('namespaces'));
    const endpoints = new EndpointsController(client, log.child('endpoints'));
    const endpointSlices = new EndpointSliceController(client, log.child('endpointslices'));
    // Stopping one that never started is harmless; one still starting is stopped once all settled.
    stoppers.push(
      () => serviceAccounts.stop(),
      () => namespaces.stop(),
      () => endpoints.stop(),
      () => endpointSlices.stop(),
    );
    await settle([
      startWorkloadControllers(client, { clock, log: log.child('workloads') }),
      serviceAccounts.start(),
      namespaces.start(),
      endpoints.start(),
      endpointSlices.start(),
    ]);
    await settle([startBatchAndLifecycleControllers(client, { clock, log: log.child('controllers'), ...(nodeMonitorGracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs } : {}) })]);
    await settle([startNodeJoinControllers(client, { server: client.config.server, ca: pki.ca, clock, log })]);
    if (ipam) {
      const nodeIpam = new NodeIpamController({ client, clock, log: log.child('nodeipam'), ...ipam });
      stoppers.push(() => nodeIpam.stop());
      await nodeIpam.start();
    }
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}

/** The scheduler. */
async function startScheduler({ client, clock, log }: ComponentContext): Promise<RunningComponent> {
  const scheduler = new Scheduler(client, clock, new ApiEventSink(client), log.child('scheduler'));
  await scheduler.start();
  return { stop: () => scheduler.stop() };
}

interface LocalNodeStage extends ComponentContext {
  dataDir: string;
  address: string;
  port: number;
  serviceCidr: string;
  progress: (step: string) => void;
  cleanups: (() => Promise<void> | void)[];
}

/** The node agent of this machine (with, on the process runtime, its service proxy and DNS). */
async function startLocalNode(node: NodeOptions, nodeName: string, stage: LocalNodeStage): Promise<NodeAgent> {
  const { client, clock, pki, log, dataDir, address, port, progress, cleanups } = stage;
  const ips = node.ips ?? ['127.0.0.1'];
  const podCIDR = node.podCIDR ?? '10.244.0.0/24';
  let runtime: Runtime;
  let dnsConfig: DnsConfig | undefined;
  let network: NodePodNetwork | undefined;
  if (node.runtime === 'process') {
    const processNode = await createProcessNode({ dataDir, podCIDR, clock, routing: { client, nodeName, nodeIPs: ips, log: log.child('routes') } });
    runtime = processNode.runtime;
    if (!node.keepPodsOnStop) cleanups.push(() => processNode.shutdown());
    else cleanups.push(async () => {
      await processNode.routes?.stop({ keepRoutes: true });
      await processNode.runtime.close();
    });
    if (processNode.network) {
      const { clusterId, podCIDR: subnet, names, gateway } = processNode.network;
      network = { kind: 'bridge', clusterId, podCIDR: subnet, bridge: names.bridge, gateway };
    }
  } else if (node.runtime === 'cri') {
    progress(node.criEndpoint ? `connecting to the CRI runtime at ${node.criEndpoint}` : 'starting containerd');
    const { createCriNode } = await import('./runtime/cri/node.js');
    const criNode = await createCriNode({
      dataDir,
      clusterId: clusterIdOf(dataDir),
      podCIDR,
      ...(node.criEndpoint ? { endpoint: node.criEndpoint } : {}),
      ...(node.insecureRegistries ? { insecureRegistries: node.insecureRegistries } : {}),
      log: log.child('cri'),
    });
    runtime = criNode.runtime;
    cleanups.push(() => (node.keepPodsOnStop ? criNode.detach() : criNode.shutdown()));
    if (criNode.network) network = { kind: 'bridge', ...criNode.network };
    else if (criNode.learnedNetwork) network = { kind: 'learned', clusterId: clusterIdOf(dataDir), learner: criNode.learnedNetwork };
    else log.warn('not running as root: pods of the CRI runtime at the endpoint get no ClusterIP Services or cluster DNS');
  } else {
    runtime = node.runtime;
  }
  if (network) {
    progress('starting the service proxy and cluster DNS');
    const services = await startNodeServices({
      client,
      nodeName,
      network,
      nodeIPs: ips,
      ...(address.startsWith('127.') || address === '0.0.0.0' ? { loopbackApiServer: { port } } : {}),
      log,
    });
    cleanups.push(() => services.stop({ keepRules: node.keepPodsOnStop === true }));
    dnsConfig = services.dnsConfig;
  }
  const serving = await ensureCertificate(pki.dir, `agent-${nodeName}`, pki.ca, { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], hosts: ['localhost', ...ips], usage: 'server' });
  const agent = new NodeAgent({
    client,
    nodeName,
    runtime,
    clock,
    rootDir: node.rootDir ?? join(dataDir, 'agent'),
    nodeIPs: ips,
    tls: { ca: pki.ca.certPem, serving },
    labels: { 'node-role.kubernetes.io/control-plane': '' },
    podCIDR,
    ...(dnsConfig ? { dnsConfig } : {}),
    tokenSource: (pod, audience, expirationSeconds) => requestServiceAccountToken(client, pod, audience, expirationSeconds),
    log: log.child('agent'),
  });
  await agent.start();
  cleanups.push(() => agent.stop());
  return agent;
}

/** A random id for names that must be unique to this cluster (bridges, chains). */
export function newClusterId(): string {
  return randomBytes(3).toString('hex');
}
