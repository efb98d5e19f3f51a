// The `k8ts` command: `up` (the whole single-node cluster), `server` (the control plane only),
// `agent` (a node joining a cluster), `images`, `token`, `cleanup`, `version`. Failures a user can
// cause end with a one-line message, never a stack trace.

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { userKubeconfigPath } from './kubeconfig.js';
import { KubeconfigError } from '../client/kubeconfig.js';
import { imagesUsage, ImagesUsageError } from './images.js';
import { agentFlags, clusterFlags, NODE_FLAGS } from './flags.js';
import { markRunning } from './running.js';
import { createLogger, type LogFormat, type Logger } from '../util/log.js';
import { KUBERNETES_VERSION } from '../version.js';

import { defaultDataDir, defaultNodeName } from '../defaults.js';
import type { EtcdStoreConfig } from '../store/etcd/config.js';
// Each command loads only what it runs (`import()` below): `k8ts version` answers at once.

const usage = `Usage: k8ts <command> [flags]

Commands:
  up        start a single-node cluster (control plane and node agent)
  server    start the control plane only
  agent     run a node agent that joins a cluster (isolated pods need root)
  images    the node's images: profiles on the process runtime, archives on cri (k8ts images --help)
  token     create, list and delete bootstrap tokens for joining nodes (k8ts token --help)
  cleanup   remove what a killed k8ts left on the host, for data directories no k8ts runs on (k8ts cleanup --help)
  version   print the version

Flags for up and server:
  --address ADDR            address to listen on (default 127.0.0.1)
  --port PORT               HTTPS port (default 6443)
  --data-dir DIR            state, certificates and kubeconfig (default $K8TS_DATA_DIR or ~/.k8ts)
  --store sqlite|memory|etcd where objects are kept (default sqlite)
  --etcd-endpoints URL[,URL] with --store etcd: the etcd members' client URLs
  --etcd-prefix P           with --store etcd: keep keys under P, so clusters can share one etcd
  --etcd-cafile F --etcd-certfile F --etcd-keyfile F
                            with --store etcd over https: the CA and a client certificate
  --write-kubeconfig=false  do not merge the cluster into $KUBECONFIG / ~/.kube/config
  --log-format text|json    log lines as text (default) or JSON
  --simulated-nodes N       add N simulated nodes: real node agents whose containers run no process
  --leader-elect=false      run the scheduler and controllers without leader election (default true:
                            with several servers on one store, one of each is active)
  --pki-dir DIR             the cluster's CA and service-account key (default <data-dir>/pki); every
                            server on one store needs the same: copy the first server's directory
  --tls-san NAME            another name or address the API server's certificate covers (repeatable),
                            e.g. a load balancer in front of several servers
  --cluster-cidr CIDR       the range Nodes' pod subnets are allocated from (default 10.244.0.0/16)
  --node-cidr-mask-size N   the prefix length of a Node's pod subnet (default 24)
  --node-monitor-grace-period D
                            how long a node may stay silent before it is NotReady/Unknown (default 50s)
  --allocate-node-cidrs=false
                            do not allocate pod subnets to Nodes

Flags for agent:
  --kubeconfig FILE         how to reach the cluster (default $KUBECONFIG or ~/.kube/config)
  --context NAME            the kubeconfig context (default: its current context)
  --server URL --token T --certificate-authority FILE
                            or: the API server, a bearer token and the cluster's CA certificate
  --server URL --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX
                            or: join with a bootstrap token, trusting only the pinned CA (the
                            printout of k8ts token create --print-join-command); the node's own
                            credential is then kept in the data directory and used on restarts
  --discovery-token-unsafe-skip-ca-verification
                            join without a pinned CA (trusting the token's signature alone)
  --node-name NAME          the node's name (default: the host name)
  --address ADDR            the node's address: the agent listens there (default 127.0.0.1)
  --port PORT               the agent's HTTPS port (default 10250)
  --data-dir DIR            the agent's state and pods (default ~/.k8ts/agent)
  --pod-cidr CIDR           the node's pod subnet (default: the one the cluster allocates to the Node)
  --runtime process|cri     run pods as host processes (default) or as containers through CRI
  --cri-endpoint URL        with --runtime cri: use this containerd or CRI-O (unix:///path/to/socket)
                            instead of starting a containerd of the node's own
  --log-format text|json

Flags for up:
  --node-name NAME          the node's name (default: the host name)
  --pod-cidr CIDR           the node's pod subnet (default 10.244.0.0/24)
  --runtime process|cri     run pods as host processes (default) or as containers through CRI
  --cri-endpoint URL        with --runtime cri: use this containerd or CRI-O (unix:///path/to/socket)
                            instead of starting a containerd of the cluster's own
`;

class UsageError extends Error {}

function fail(message: string): never {
  process.stderr.write(`k8ts: ${message}\n`);
  process.exit(1);
}

const NON_ROOT_PODS = "not running as root: pods run as plain host processes, without namespaces, a private root filesystem, cgroups or volumes, on the node's network";

async function runCluster(args: string[], withNode: boolean): Promise<void> {
  const { values } = parseArgs({
    args,
    options: clusterFlags,
    allowPositionals: false,
  });
  if (!withNode) {
    const nodeFlag = NODE_FLAGS.find((f) => values[f] !== undefined);
    if (nodeFlag) throw new UsageError(`--${nodeFlag} is a flag of up and agent: the server runs no node`);
  }
  const port = Number(values.port);
  const { runtime, criEndpoint } = runtimeFlags(values);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${values.port}`);
  if (values.store !== 'sqlite' && values.store !== 'memory' && values.store !== 'etcd') throw new UsageError(`invalid --store ${values.store}: use sqlite, memory or etcd`);
  const store = await storeOption(values);
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format ${format}: use text or json`);
  const writeKubeconfig = values['write-kubeconfig'] !== 'false';
  const simulatedNodes = Number(values['simulated-nodes']);
  if (!Number.isInteger(simulatedNodes) || simulatedNodes < 0) throw new UsageError(`invalid --simulated-nodes ${values['simulated-nodes']}`);
  const leaderElect = values['leader-elect'];
  if (leaderElect !== 'true' && leaderElect !== 'false') throw new UsageError(`invalid --leader-elect ${leaderElect}: use true or false`);
  const allocate = values['allocate-node-cidrs'];
  if (allocate !== 'true' && allocate !== 'false') throw new UsageError(`invalid --allocate-node-cidrs ${allocate}: use true or false`);
  const { parseGoDuration } = await import('../api/duration.js');
  const nodeMonitorGracePeriodMs = parseGoDuration(values['node-monitor-grace-period']!);
  if (!nodeMonitorGracePeriodMs) throw new UsageError(`invalid --node-monitor-grace-period ${values['node-monitor-grace-period']}: use a positive duration such as 50s or 2m`);
  const nodeCidrMaskSize = Number(values['node-cidr-mask-size']);
  const { CidrSet } = await import('../controllers/nodeipam/cidr-set.js');
  try {
    new CidrSet(values['cluster-cidr']!, nodeCidrMaskSize);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (--cluster-cidr, --node-cidr-mask-size)`);
  }
  const log = createLogger(format as LogFormat);
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const started = Date.now();
  if (withNode && process.getuid?.() !== 0 && runtime === 'cri' && criEndpoint === undefined) {
    log.warn('not running as root: containerd needs root, so this cluster has no node; run k8ts up as root, or give --cri-endpoint');
    withNode = false;
  } else if (withNode && process.getuid?.() !== 0 && runtime === 'process') {
    log.warn(`${NON_ROOT_PODS}; run k8ts up as root for isolated pods`);
  }

  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  markRunning(dataDir);
  const { startCluster } = await import('../cluster.js');
  const cluster = await startCluster({
    dataDir,
    address: values.address,
    port,
    store,
    writeUserKubeconfig: writeKubeconfig,
    logger: log,
    onProgress: (step) => log.info(step),
    ...(simulatedNodes ? { simulatedNodes } : {}),
    leaderElect: leaderElect === 'true',
    ...(values['pki-dir'] ? { pkiDir: values['pki-dir'] } : {}),
    ...(values['tls-san']?.length ? { tlsSans: tlsSans(values['tls-san']) } : {}),
    clusterCidr: allocate === 'true' ? values['cluster-cidr']! : false,
    nodeCidrMaskSize,
    nodeMonitorGracePeriodMs,
    ...(withNode
      ? {
          node: {
            runtime,
            podCIDR: values['pod-cidr'] ?? '10.244.0.0/24',
            ...(criEndpoint ? { criEndpoint } : {}),
            ...(values['node-name'] ? { name: values['node-name'] } : {}),
          },
        }
      : {}),
  });
  log.info('cluster ready', { server: cluster.server, ms: Date.now() - started });
  const kubeconfigHint = writeKubeconfig
    ? `The context "k8ts" is now current in ${userKubeconfigPath()}: try \`kubectl get nodes\`.`
    : `Use it with: export KUBECONFIG=${cluster.kubeconfigPath}`;
  process.stdout.write(`k8ts is running at ${cluster.server}\n${kubeconfigHint}\nPress Ctrl-C to stop.\n`);

  onShutdown(log, () => cluster.stop());
}

/** --runtime and --cri-endpoint, as `up` and `agent` take them. */
function runtimeFlags(values: { runtime?: string | undefined; 'cri-endpoint'?: string | undefined }): { runtime: 'process' | 'cri'; criEndpoint: string | undefined } {
  const runtime = values.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'cri') throw new UsageError(`invalid --runtime ${runtime}: use process or cri`);
  const criEndpoint = values['cri-endpoint'];
  if (criEndpoint !== undefined && runtime !== 'cri') throw new UsageError('--cri-endpoint needs --runtime cri');
  if (criEndpoint !== undefined && !/^unix:\/\/\/./.test(criEndpoint)) throw new UsageError(`invalid --cri-endpoint ${criEndpoint}: use unix:///path/to/socket`);
  return { runtime, criEndpoint };
}

async function runAgent(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: agentFlags,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${values.port}`);
  const { runtime, criEndpoint } = runtimeFlags(values);
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format ${format}: use text or json`);
  const log = createLogger(format as LogFormat);
  if (process.getuid?.() !== 0 && runtime === 'process') log.warn(`${NON_ROOT_PODS}; run k8ts agent as root for isolated pods`);
  if (process.getuid?.() !== 0 && runtime === 'cri' && criEndpoint === undefined) throw new UsageError('the cri runtime starts containerd, which needs root: run k8ts agent as root, or give --cri-endpoint');
  const pins = values['discovery-token-ca-cert-hash'] ?? [];
  const unsafeSkip = values['discovery-token-unsafe-skip-ca-verification'];
  const joining = pins.length > 0 || unsafeSkip;
  const direct = !joining && (values.server !== undefined || values.token !== undefined);
  if (direct && (!values.server || !values.token || !values['certificate-authority'])) {
    throw new UsageError('--server, --token and --certificate-authority go together (or join with --discovery-token-ca-cert-hash)');
  }
  if (joining && (!values.server || !values.token)) throw new UsageError('joining needs --server and --token with --discovery-token-ca-cert-hash');
  if (joining && values['certificate-authority']) throw new UsageError('--certificate-authority and --discovery-token-ca-cert-hash exclude each other');
  if (values['pod-cidr']) {
    const { parseCidr } = await import('../network/pod-network/cidr.js');
    try {
      parseCidr(values['pod-cidr']);
    } catch (err) {
      throw new UsageError(`--pod-cidr: ${(err as Error).message}`);
    }
  }
  const dataDir = values['data-dir'] ?? join(defaultDataDir(), 'agent');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  markRunning(dataDir);
  const { startStandaloneAgent } = await import('../agent/standalone.js');
  const { existingCredential } = await import('../agent/join.js');
  // A node that joined before uses its own credential when not told otherwise.
  const joined = !joining && !direct && values.kubeconfig === undefined ? existingCredential(dataDir) : undefined;
  const agent = await startStandaloneAgent({
    connection: joining
      ? { join: { server: values.server!, token: values.token!, caCertHashes: pins, unsafeSkipCaVerification: unsafeSkip } }
      : direct
        ? { server: values.server!, token: values.token!, caFile: values['certificate-authority']! }
        : { kubeconfig: joined ?? values.kubeconfig ?? userKubeconfigPath(), ...(values.context ? { context: values.context } : {}) },
    nodeName: values['node-name'] ?? defaultNodeName(),
    dataDir,
    address: values.address,
    port,
    ...(values['pod-cidr'] ? { podCIDR: values['pod-cidr'] } : {}),
    runtime,
    ...(criEndpoint ? { criEndpoint } : {}),
    log,
  });
  onShutdown(log, () => agent.stop());
}

/** The cluster's store from --store and the --etcd-* flags, checked before anything starts. */
async function storeOption(values: Record<string, string | string[] | boolean | undefined>): Promise<'sqlite' | 'memory' | EtcdStoreConfig> {
  const etcdFlags = ['etcd-endpoints', 'etcd-prefix', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile'].filter((f) => values[f] !== undefined);
  if (values.store !== 'etcd') {
    if (etcdFlags.length) throw new UsageError(`--${etcdFlags[0]} needs --store etcd`);
    return values.store as 'sqlite' | 'memory';
  }
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const tls = { caFile: text('etcd-cafile'), certFile: text('etcd-certfile'), keyFile: text('etcd-keyfile') };
  const config: EtcdStoreConfig = {
    endpoints: (text('etcd-endpoints') ?? '').split(',').map((e) => e.trim()).filter(Boolean),
    ...(text('etcd-prefix') !== undefined ? { prefix: text('etcd-prefix') } : {}),
    ...(tls.caFile || tls.certFile || tls.keyFile ? { tls } : {}),
  };
  const { checkEtcdConfig } = await import('../store/etcd/config.js');
  checkEtcdConfig(config);
  return config;
}

/** Names and addresses for the serving certificate: DNS names (RFC 1123) or IP addresses. */
function tlsSans(values: string[]): string[] {
  for (const v of values) {
    if (isIP(v) === 0 && !/^(?=.{1,253}$)(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(v)) {
      throw new UsageError(`invalid --tls-san ${JSON.stringify(v)}: use an IP address or a lower-case DNS name`);
    }
  }
  return values;
}

function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function explain(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { code?: string; path?: string };
  if (e?.code === 'EADDRINUSE') return `the address is already in use (${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}): is another k8ts or Kubernetes API server running? Choose another with --port.`;
  if (e?.code === 'EACCES') return `permission denied: ${e.message}`;
  if (e instanceof KubeconfigError) return e.message;
  if (e instanceof ImagesUsageError) return `${e.message}\n\n${imagesUsage}`;
  if (e?.code === 'DataDirectoryInUse') return `${e.message}. Stop the other k8ts first, or use --data-dir.`;
  if (err instanceof UsageError) return `${err.message}\n\n${usage}`;
  if (e instanceof TypeError && String(e.code ?? '').startsWith('ERR_PARSE_ARGS')) return `${e.message}\n\n${usage}`;
  return e?.message ?? String(err);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
    case 'server':
    case 'agent':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(usage);
        return;
      }
      return command === 'agent' ? runAgent(rest) : runCluster(rest, command === 'up');
    case 'token':
      if (rest[0] === '--help' || rest[0] === '-h' || rest.length === 0) {
        process.stdout.write((await import('./token.js')).tokenUsage);
        return;
      }
      return (await import('./token.js')).runToken(rest, defaultDataDir(), (text) => process.stdout.write(text));
    case 'cleanup':
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write((await import('./cleanup.js')).cleanupUsage);
        return;
      }
      return (await import('./cleanup.js')).runCleanup(rest, defaultDataDir(), (line) => process.stdout.write(line + '\n'));
    case 'images':
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(imagesUsage);
        return;
      }
      return (await import('./images.js')).runImages(rest, defaultDataDir(), (line) => process.stdout.write(line + '\n'));
    case 'version':
      process.stdout.write(`k8ts ${KUBERNETES_VERSION.gitVersion}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((err) => fail(explain(err)));
