// The `k8ts` command: `up` (the whole single-node cluster), `server` (the control plane only),
// `version`. Failures a user can cause end with a one-line message, never a stack trace.

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { userKubeconfigPath } from './kubeconfig.js';
import { KubeconfigError } from '../client/kubeconfig.js';
import { imagesUsage, ImagesUsageError } from './images.js';
import { createLogger, type LogFormat, type Logger } from '../util/log.js';
import { KUBERNETES_VERSION } from '../version.js';

import { defaultDataDir, defaultNodeName } from '../defaults.js';
// Each command loads only what it runs (`import()` below): `k8ts version` answers at once.

const usage = `Usage: k8ts <command> [flags]

Commands:
  up        start a single-node cluster (control plane and node agent)
  server    start the control plane only
  agent     run a node agent that joins a cluster (needs root)
  images    list, add and remove the process runtime's images (k8ts images --help)
  version   print the version

Flags for up and server:
  --address ADDR            address to listen on (default 127.0.0.1)
  --port PORT               HTTPS port (default 6443)
  --data-dir DIR            state, certificates and kubeconfig (default $K8TS_DATA_DIR or ~/.k8ts)
  --store sqlite|memory     where objects are kept (default sqlite)
  --write-kubeconfig=false  do not merge the cluster into $KUBECONFIG / ~/.kube/config
  --log-format text|json    log lines as text (default) or JSON
  --simulated-nodes N       add N simulated nodes: real node agents whose containers run no process

Flags for agent:
  --kubeconfig FILE         how to reach the cluster (default $KUBECONFIG or ~/.kube/config)
  --context NAME            the kubeconfig context (default: its current context)
  --server URL --token T --certificate-authority FILE
                            or: the API server, a bearer token and the cluster's CA certificate
  --node-name NAME          the node's name (default: the host name)
  --address ADDR            the node's address: the agent listens there (default 127.0.0.1)
  --port PORT               the agent's HTTPS port (default 10250)
  --data-dir DIR            the agent's state and pods (default ~/.k8ts/agent)
  --pod-cidr CIDR           the node's pod subnet (default 10.244.1.0/24)
  --log-format text|json

Flags for up:
  --node-name NAME          the node's name (default: the host name)
  --pod-cidr CIDR           the node's pod subnet (default 10.244.0.0/24)
`;

class UsageError extends Error {}

function fail(message: string): never {
  process.stderr.write(`k8ts: ${message}\n`);
  process.exit(1);
}

async function runCluster(args: string[], withNode: boolean): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '6443' },
      'data-dir': { type: 'string' },
      store: { type: 'string', default: 'sqlite' },
      'write-kubeconfig': { type: 'string', default: 'true' },
      'log-format': { type: 'string', default: 'text' },
      'node-name': { type: 'string' },
      'pod-cidr': { type: 'string', default: '10.244.0.0/24' },
      'simulated-nodes': { type: 'string', default: '0' },
    },
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${values.port}`);
  if (values.store !== 'sqlite' && values.store !== 'memory') throw new UsageError(`invalid --store ${values.store}: use sqlite or memory`);
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format ${format}: use text or json`);
  const writeKubeconfig = values['write-kubeconfig'] !== 'false';
  const simulatedNodes = Number(values['simulated-nodes']);
  if (!Number.isInteger(simulatedNodes) || simulatedNodes < 0) throw new UsageError(`invalid --simulated-nodes ${values['simulated-nodes']}`);
  const log = createLogger(format as LogFormat);
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const started = Date.now();
  if (withNode && process.getuid?.() !== 0) {
    log.warn('not running as root: pods need Linux namespaces, so this cluster has no node; run k8ts up as root to get one');
    withNode = false;
  }

  const { startCluster } = await import('../cluster.js');
  const cluster = await startCluster({
    dataDir,
    address: values.address,
    port,
    store: values.store,
    writeUserKubeconfig: writeKubeconfig,
    logger: log,
    onProgress: (step) => log.info(step),
    ...(simulatedNodes ? { simulatedNodes } : {}),
    ...(withNode ? { node: { runtime: 'process' as const, podCIDR: values['pod-cidr'], ...(values['node-name'] ? { name: values['node-name'] } : {}) } } : {}),
  });
  log.info('cluster ready', { server: cluster.server, ms: Date.now() - started });
  const kubeconfigHint = writeKubeconfig
    ? `The context "k8ts" is now current in ${userKubeconfigPath()}: try \`kubectl get nodes\`.`
    : `Use it with: export KUBECONFIG=${cluster.kubeconfigPath}`;
  process.stdout.write(`k8ts is running at ${cluster.server}\n${kubeconfigHint}\nPress Ctrl-C to stop.\n`);

  onShutdown(log, () => cluster.stop());
}

async function runAgent(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      'certificate-authority': { type: 'string' },
      'node-name': { type: 'string' },
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '10250' },
      'data-dir': { type: 'string' },
      'pod-cidr': { type: 'string', default: '10.244.1.0/24' },
      'log-format': { type: 'string', default: 'text' },
    },
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${values.port}`);
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format ${format}: use text or json`);
  const log = createLogger(format as LogFormat);
  const direct = values.server !== undefined || values.token !== undefined;
  if (direct && (!values.server || !values.token || !values['certificate-authority'])) {
    throw new UsageError('--server, --token and --certificate-authority go together');
  }
  const { startStandaloneAgent } = await import('../agent/standalone.js');
  const agent = await startStandaloneAgent({
    connection: direct
      ? { server: values.server!, token: values.token!, caFile: values['certificate-authority']! }
      : { kubeconfig: values.kubeconfig ?? userKubeconfigPath(), ...(values.context ? { context: values.context } : {}) },
    nodeName: values['node-name'] ?? defaultNodeName(),
    dataDir: values['data-dir'] ?? join(defaultDataDir(), 'agent'),
    address: values.address,
    port,
    podCIDR: values['pod-cidr'],
    log,
  });
  onShutdown(log, () => agent.stop());
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
      return runCluster(rest, true);
    case 'server':
      return runCluster(rest, false);
    case 'agent':
      return runAgent(rest);
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
