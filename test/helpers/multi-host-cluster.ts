// A real multi-host k8ts cluster on one machine, for end-to-end tests of high availability:
// every "host" is a network namespace on a test bridge (hosts.ts), and every part of the cluster
// is a real process inside its host:
//
//   cp-0   etcd member e0   + `k8ts server` A (the first: its pki is the cluster's)
//   cp-1   etcd member e1   + `k8ts server` B (a copy of A's pki)
//   cp-2   etcd member e2
//   node-0, node-1, node-2  `k8ts agent` on the process runtime, joined with a bootstrap token
//                           (`k8ts token create --print-join-command` on A), pod subnets from the
//                           cluster's node IPAM, routes between the nodes and a service proxy each
//
//   const c = await startMultiHostCluster(t);
//   c.servers[0].kubeconfig      // admin kubeconfig of server A (its address), for kubectl
//   await c.kubectl(1, ['get', 'nodes'])   // kubectl pointed at server B
//   await c.etcd[0].kill(); await c.etcd[0].restart();
//   await c.servers[1].kill(); await c.servers[1].restart();
//   await c.agents[2].kill(); await c.agents[2].restart();
//
// Ports: etcd listens on its standard ports (2379, 2380) inside its own, freshly created namespace,
// where nothing else can hold them; API servers and agents take free ports (`--port 0`), and a
// restarted API server takes the port it had, so that kubeconfigs and joined agents stay valid.
//
// Cleanup (t.after, before the hosts' own): agents that were killed and not restarted are started again so that they stop
// their pods, then every process gets SIGTERM (agents tear their pods down) and SIGKILL after a
// grace period, the namespaces and the bridge go (hosts.ts), and the data directories are removed.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createHosts, type TestHost, type TestHosts } from './hosts.js';
import { K8TS_BIN, clientFromKubeconfig } from './cli.js';
import { eventually, run, type KubectlResult } from './cluster.js';
import { installStandInImages } from './images.js';
import { ApiClient } from '../../src/client/client.js';
import type { Node, Pod } from '../../src/api/types.js';
import type { Lease } from '../../src/leaderelection/index.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

type After = { after(fn: () => unknown): unknown };

export const NODES = ApiClient.resourceOf('v1', 'Node');
export const PODS = ApiClient.resourceOf('v1', 'Pod');
export const CONFIGMAPS = ApiClient.resourceOf('v1', 'ConfigMap');
export const NAMESPACES = ApiClient.resourceOf('v1', 'Namespace');
export const SERVICES = ApiClient.resourceOf('v1', 'Service');
export const DEPLOYMENTS = ApiClient.resourceOf('apps/v1', 'Deployment');
export const REPLICASETS = ApiClient.resourceOf('apps/v1', 'ReplicaSet');
export const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');
export const ENDPOINTSLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');
export const LEADER_LEASES = ['kube-scheduler', 'kube-controller-manager'] as const;

const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;

/** A process of the cluster, running inside its host. */
export interface HostProcess {
  readonly name: string;
  readonly host: TestHost;
  /** Whether the process runs now. */
  running(): boolean;
  /** SIGKILLs the process and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts the process again (same data directory) and waits until it serves. */
  restart(): Promise<void>;
  /** What the current process printed (stdout and stderr), and what earlier runs printed before it. */
  output(): string;
}

export interface EtcdInHost extends HostProcess {
  clientUrl: string;
  /** The member's own store revision (`/v3/maintenance/status` asked of this member alone). */
  revision(): Promise<number>;
  /** Whether this member says it is the Raft leader. */
  isLeader(): Promise<boolean>;
}

export interface ServerInHost extends HostProcess {
  /** `https://ADDR:PORT`. */
  url: string;
  dataDir: string;
  /** The admin kubeconfig the server wrote (it names this server). */
  kubeconfig: string;
  client: ApiClient;
  /** The leader-election identities this server has campaigned with and won, per Lease, from its log. */
  ledLeases(lease: string): string[];
}

export interface AgentInHost extends HostProcess {
  nodeName: string;
  dataDir: string;
}

export interface MultiHostCluster {
  net: TestHosts;
  run: string;
  etcd: EtcdInHost[];
  servers: ServerInHost[];
  agents: AgentInHost[];
  clusterCidr: string;
  /** Runs the real kubectl against server `i` (its admin kubeconfig), from the root namespace. */
  kubectl(i: number, args: string[], timeoutMs?: number): Promise<KubectlResult>;
  /** The server whose process holds both leader Leases now (asked through server `via`). */
  leader(via: ApiClient): Promise<ServerInHost>;
}

export interface MultiHostClusterOptions {
  /** Stand-in images installed on every node (test/helpers/images.ts), default busybox. */
  images?: string[];
}

/** Watches a child's output; resolves patterns as they appear. */
class Output {
  text = '';
  private readonly listeners = new Set<() => void>();
  attach(child: ChildProcess): void {
    const onData = (d: Buffer) => {
      this.text += d.toString();
      for (const l of [...this.listeners]) l();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => setImmediate(() => [...this.listeners].forEach((l) => l())));
  }
  waitFor(child: ChildProcess, pattern: RegExp, from: number, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.text.slice(from).match(pattern);
        if (m) {
          done();
          resolve(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${this.text.slice(from).slice(-4000)}`));
        }
      };
      const done = () => {
        this.listeners.delete(check);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern} from ${what}:\n${this.text.slice(from).slice(-4000)}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}

function alive(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function exited(child: ChildProcess): Promise<void> {
  if (!alive(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function sigkill(child: ChildProcess | undefined): Promise<void> {
  if (!alive(child)) return;
  const gone = exited(child);
  child.kill('SIGKILL');
  await gone;
}

function httpJson(url: string, body?: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: body === undefined ? 'GET' : 'POST', timeout: 2000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A cluster CIDR (/16 of 10.0.0.0/8) that no route of this machine overlaps; it lives only inside the test's hosts. */
async function freeClusterCidr(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  for (let attempt = 0; attempt < 100; attempt++) {
    const second = 100 + Math.floor(Math.random() * 150);
    if (!new RegExp(`(^|\\s)10\\.${second}\\.`, 'm').test(routes)) return `10.${second}.0.0/16`;
  }
  throw new Error('no free /16 in 10.0.0.0/8 for the cluster CIDR');
}

export async function startMultiHostCluster(t: After, options: MultiHostClusterOptions = {}): Promise<MultiHostCluster> {
  const runId = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-multihost-'));
  const cpNames = ['cp-0', 'cp-1', 'cp-2'];
  const nodeHostNames = ['node-0', 'node-1', 'node-2'];
  const children = new Set<ChildProcess>();
  const agents: AgentInHost[] = [];
  const servers: ServerInHost[] = [];
  // Registered before createHosts, so it runs before the hosts' cleanup (t.after runs in the order
  // of registration): a killed agent is restarted while its host still exists, and the processes
  // stop before their directories and namespaces go.
  t.after(async () => {
    // A node agent killed by the test and not brought back left its pods running: start it again
    // (it adopts them) so that stopping it stops them.
    for (const a of agents) {
      if (a.running()) continue;
      if (!servers.some((s) => s.running())) break;
      await a.restart().catch(() => undefined);
    }
    for (const s of servers) s.client.close();
    const running = [...children].filter(alive);
    for (const c of running) c.kill('SIGTERM');
    await Promise.all(
      running.map(async (c) => {
        const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
        await exited(c);
        clearTimeout(timer);
      }),
    );
    safeRemoveSync(dir, { unmount: true });
  });
  const net = await createHosts(t, [...cpNames, ...nodeHostNames], { stopGraceMs: 30_000 });

  const spawnIn = (host: TestHost, command: string, args: string[], logFile?: string): ChildProcess => {
    let child: ChildProcess;
    if (logFile) {
      const fd = openSync(logFile, 'a');
      try {
        child = host.spawn(command, args, { stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
    } else {
      child = host.spawn(command, args);
    }
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  // --- etcd: one member per control-plane host -------------------------------------------------
  const cpHosts = cpNames.map((n) => net.host(n));
  const initialCluster = cpHosts.map((h, i) => `e${i}=http://${h.address}:${ETCD_PEER_PORT}`).join(',');
  const etcd: EtcdInHost[] = cpHosts.map((host, i) => {
    const clientUrl = `http://${host.address}:${ETCD_CLIENT_PORT}`;
    const logFile = join(dir, `etcd-${i}.log`);
    const args = [
      `--name=e${i}`,
      `--data-dir=${join(dir, `etcd-${i}`)}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=http://${host.address}:${ETCD_PEER_PORT}`,
      `--initial-advertise-peer-urls=http://${host.address}:${ETCD_PEER_PORT}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=k8ts-multihost-${runId}`,
      '--initial-cluster-state=new',
      '--max-request-bytes=1638400',
      '--logger=zap',
      '--log-level=warn',
    ];
    let child: ChildProcess | undefined;
    const status = async () => httpJson(`${clientUrl}/v3/maintenance/status`, '{}');
    const member: EtcdInHost = {
      name: `e${i}`,
      host,
      clientUrl,
      running: () => alive(child),
      kill: () => sigkill(child),
      async restart() {
        await sigkill(child);
        const c = (child = spawnIn(host, 'etcd', args, logFile));
        await eventually(async () => {
          if (!alive(c)) throw new Error(`etcd e${i} exited:\n${member.output().slice(-3000)}`);
          const health = await httpJson(`${clientUrl}/health`);
          return health.health === 'true';
        }, 60_000).catch((err: Error) => {
          throw new Error(`etcd e${i} not healthy: ${err.message}\n${member.output().slice(-3000)}`);
        });
      },
      output: () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      },
      revision: async () => Number((await status()).header.revision),
      isLeader: async () => {
        const s = await status();
        return Boolean(s.leader) && s.leader === s.header.member_id;
      },
    };
    return member;
  });
  // All members at once: each waits for the others to form the first quorum.
  await Promise.all(etcd.map((m) => m.restart()));
  const endpoints = etcd.map((m) => m.clientUrl).join(',');

  // --- two API servers --------------------------------------------------------------------------
  const clusterCidr = await freeClusterCidr();
  const makeServer = (i: number, host: TestHost, pkiDir: string | undefined): ServerInHost => {
    const dataDir = join(dir, `server-${i}`);
    const out = new Output();
    let child: ChildProcess | undefined;
    let port = 0;
    const server: ServerInHost = {
      name: `server-${'AB'[i]}`,
      host,
      url: '',
      dataDir,
      kubeconfig: join(dataDir, 'kubeconfig'),
      client: undefined as unknown as ApiClient,
      running: () => alive(child),
      kill: () => sigkill(child),
      async restart() {
        await sigkill(child);
        const args = [
          K8TS_BIN, 'server', '--address', host.address, '--port', String(port), '--data-dir', dataDir,
          ...(pkiDir ? ['--pki-dir', pkiDir] : []),
          '--store', 'etcd', `--etcd-endpoints=${endpoints}`, '--write-kubeconfig=false', '--cluster-cidr', clusterCidr,
        ];
        const c = (child = spawnIn(host, process.execPath, args));
        out.text += `--- start ${new Date().toISOString()}\n`;
        const from = out.text.length;
        out.attach(c);
        const m = await out.waitFor(c, /^k8ts is running at (https:\/\/\S+:(\d+))$/m, from, 90_000, server.name);
        server.url = m[1]!;
        port = Number(m[2]);
        if (!server.client) server.client = clientFromKubeconfig(server.kubeconfig, `k8ts-multihost-test/${server.name}`);
      },
      output: () => out.text,
      ledLeases: (lease) => [...out.text.matchAll(new RegExp(`started leading lease=${lease} identity=(\\S+)`, 'g'))].map((x) => x[1]!),
    };
    return server;
  };
  const a = makeServer(0, cpHosts[0]!, undefined);
  servers.push(a);
  await a.restart();
  // The second server gets a copy of the first one's pki, as kubeadm users copy /etc/kubernetes/pki.
  const pkiB = join(dir, 'pki-b');
  cpSync(join(a.dataDir, 'pki'), pkiB, { recursive: true });
  const b = makeServer(1, cpHosts[1]!, pkiB);
  servers.push(b);
  await b.restart();

  // --- three node agents, joined with a bootstrap token ------------------------------------------
  const created = await run(process.execPath, [K8TS_BIN, 'token', 'create', '--data-dir', a.dataDir, '--print-join-command', '--description', 'multi-host test']);
  if (created.code !== 0) throw new Error(`k8ts token create: ${created.stderr}`);
  const joinCommand = created.stdout.trim().split(/\s+/);
  if (joinCommand[0] !== 'k8ts' || joinCommand[1] !== 'agent') throw new Error(`unexpected join command: ${created.stdout}`);
  const joinArgs = joinCommand.slice(2);

  for (const [i, hostName] of nodeHostNames.entries()) {
    const host = net.host(hostName);
    const nodeName = `mh-${runId}-${i}`;
    const dataDir = join(dir, `agent-${i}`);
    await installStandInImages({ dataDir }, options.images ?? ['busybox']);
    const out = new Output();
    let child: ChildProcess | undefined;
    let joined = false;
    const agent: AgentInHost = {
      name: nodeName,
      nodeName,
      host,
      dataDir,
      running: () => alive(child),
      kill: () => sigkill(child),
      async restart() {
        await sigkill(child);
        // The first start joins with the token; later ones use the node credential it keeps.
        const args = [K8TS_BIN, 'agent', ...(joined ? [] : joinArgs), '--node-name', nodeName, '--address', host.address, '--port', '0', '--data-dir', dataDir];
        const c = (child = spawnIn(host, process.execPath, args));
        out.text += `--- start ${new Date().toISOString()}\n`;
        const from = out.text.length;
        out.attach(c);
        await out.waitFor(c, /node agent ready/, from, 120_000, nodeName);
        joined = true;
      },
      output: () => out.text,
    };
    agents.push(agent);
  }
  await Promise.all(agents.map((ag) => ag.restart()));

  const cluster: MultiHostCluster = {
    net,
    run: runId,
    etcd,
    servers,
    agents,
    clusterCidr,
    kubectl: (i, args, timeoutMs = 60_000) => run('kubectl', ['--kubeconfig', servers[i]!.kubeconfig, '--cache-dir', join(dir, `kubectl-cache-${i}`), ...args], { timeoutMs }),
    async leader(via) {
      const holders = await Promise.all(LEADER_LEASES.map(async (l) => (await via.get<Lease>(LEASES, 'kube-system', l)).spec?.holderIdentity ?? ''));
      const found = servers.filter((s) => LEADER_LEASES.every((l, k) => holders[k] !== '' && s.ledLeases(l).includes(holders[k]!)));
      if (found.length !== 1) throw new Error(`expected one server to hold both Leases (holders ${holders.join(', ')}), found ${found.length}`);
      return found[0]!;
    },
  };
  // Every node registered, got its pod subnet and is Ready.
  await eventually(async () => {
    const nodes = await a.client.list<Node>(NODES, '');
    return agents.every((ag) => nodes.items.some((n) => n.metadata.name === ag.nodeName && n.spec?.podCIDR && isReady(n)));
  }, 120_000);
  return cluster;
}

export function readyStatus(node: Node | undefined): string | undefined {
  return node?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

export function isReady(node: Node | undefined): boolean {
  return readyStatus(node) === 'True';
}

/** Pods that are not being deleted. */
export function live(pods: Pod[]): Pod[] {
  return pods.filter((p) => !p.metadata.deletionTimestamp);
}

/**
 * Creates ConfigMaps one after another through one of `clients` (the next one after a failure), and
 * remembers every create the API acknowledged: what `verify` later requires to be all there. A
 * create that failed is never counted (it may or may not have landed; the next one gets a new name).
 */
export class AcknowledgedWrites {
  readonly acknowledged: string[] = [];
  failures = 0;
  private n = 0;
  private at = 0;
  private stopped = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly namespace: string, private readonly clients: () => ApiClient[]) {}

  /** Writes `count` ConfigMaps now (each acknowledged before the next). */
  async write(count: number): Promise<void> {
    for (let i = 0; i < count; ) {
      if (await this.writeOne()) i++;
      else await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Keeps writing in the background until stop(). */
  start(): void {
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        if (!(await this.writeOne())) await new Promise((r) => setTimeout(r, 200));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async writeOne(): Promise<boolean> {
    const name = `ack-${String(++this.n).padStart(5, '0')}`;
    const clients = this.clients();
    const client = clients[this.at % clients.length]!;
    try {
      await client.create(CONFIGMAPS, this.namespace, { metadata: { name, labels: { 'k8ts-test/acknowledged': 'true' } }, data: { n: String(this.n) } });
      this.acknowledged.push(name);
      return true;
    } catch {
      // The name may have landed: it is never reused, and the next write goes to the next server.
      this.failures++;
      this.at++;
      return false;
    }
  }

  /** The acknowledged names missing when listed through `client` (empty when nothing was lost). */
  async missing(client: ApiClient): Promise<string[]> {
    const list = await client.list<{ metadata: { name?: string } }>(CONFIGMAPS, this.namespace, { labelSelector: 'k8ts-test/acknowledged=true' });
    const present = new Set(list.items.map((i) => i.metadata.name));
    return this.acknowledged.filter((n) => !present.has(n));
  }
}

// --- the workload and the checks both multi-host tests run --------------------------------------

/** Seconds the web pods tolerate a not-ready or unreachable node (instead of the default 300 s). */
export const TOLERATION_SECONDS = 5;

/**
 * A Deployment whose pods serve their own name over HTTP on 8080 (busybox httpd), ready once they
 * answer, tolerating a lost node for a few seconds only, as users do to fail over fast.
 */
export function webDeployment(replicas: number) {
  const tolerate = (key: string) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          tolerations: [tolerate('node.kubernetes.io/not-ready'), tolerate('node.kubernetes.io/unreachable')],
          containers: [
            {
              name: 'web',
              image: 'busybox',
              command: ['sh', '-c', 'mkdir -p /srv && hostname > /srv/index.html && exec httpd -f -p 8080 -h /srv'],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

export const webService = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };

export function podReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The web pods through `client`: all of them (terminating included). */
export async function webPods(client: ApiClient, ns: string): Promise<Pod[]> {
  return (await client.list<Pod>(PODS, ns, { labelSelector: 'app=web' })).items;
}

/** Waits until exactly `replicas` web pods exist, none terminating, all ready, and returns them. */
export async function settledWebPods(client: ApiClient, ns: string, replicas: number, timeoutMs = 180_000, where?: (p: Pod) => boolean): Promise<Pod[]> {
  let last: Pod[] = [];
  try {
    return await eventually(async () => {
      last = await webPods(client, ns);
      if (last.length !== replicas) return undefined;
      if (!last.every((p) => !p.metadata.deletionTimestamp && podReady(p) && p.status?.podIP && (where?.(p) ?? true))) return undefined;
      return last;
    }, timeoutMs, 500);
  } catch (err) {
    const seen = last.map((p) => `${p.metadata.name} on ${p.spec?.nodeName ?? '-'} ${p.status?.phase ?? '-'} ready=${podReady(p)}${p.metadata.deletionTimestamp ? ' terminating' : ''}`);
    throw new Error(`${(err as Error).message}: wanted ${replicas} ready web pods, saw:\n${seen.join('\n')}`);
  }
}

/** `wget` from inside a pod (kubectl exec through server `via`): what the target answered. */
export async function wgetFromPod(c: MultiHostCluster, via: number, ns: string, pod: string, url: string, times = 1): Promise<string[]> {
  const script = `for i in $(seq ${times}); do timeout 5 wget -qO- ${url} || echo FAILED; done`;
  const r = await c.kubectl(via, ['exec', '-n', ns, pod, '--', 'sh', '-c', script], 120_000);
  if (r.code !== 0) throw new Error(`kubectl exec ${pod}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

/** Every acknowledged ConfigMap is listed by kubectl through server `via`. */
export async function assertNoWriteLost(c: MultiHostCluster, via: number, ns: string, writes: AcknowledgedWrites): Promise<void> {
  const r = await c.kubectl(via, ['get', 'configmaps', '-n', ns, '-l', 'k8ts-test/acknowledged=true', '-o', 'name']);
  assert.equal(r.code, 0, r.stderr);
  const listed = new Set(r.stdout.trim().split('\n').map((l) => l.replace(/^configmap\//, '')));
  const lost = writes.acknowledged.filter((n) => !listed.has(n));
  assert.deepEqual(lost, [], `acknowledged writes missing through ${c.servers[via]!.name}`);
  assert.ok(writes.acknowledged.length > 0);
}

/** Waits until the background writer has had `n` more creates acknowledged. */
export async function moreWrites(writes: AcknowledgedWrites, n: number, timeoutMs = 60_000): Promise<void> {
  const target = writes.acknowledged.length + n;
  await eventually(() => writes.acknowledged.length >= target, timeoutMs, 100);
}


/**
 * The pods whose web server really runs on this machine now: every busybox `httpd -f -p 8080 -h /srv`
 * process (the web pods' command) and the host name of its UTS namespace, which is its pod's name.
 * One name twice would be a duplicate container; an evicted pod's name, a container left running.
 */
export async function runningWebServers(): Promise<string[]> {
  const { readdirSync } = await import('node:fs');
  const names: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // `httpd` of the busybox stand-in is a script that execs `/usr/bin/busybox httpd ...`.
    const argv = cmdline.split('\0').filter(Boolean);
    const applet = argv.length === 6 || (argv.length === 7 && argv[0]!.endsWith('busybox'));
    if (!applet || argv.slice(-6).join(' ') !== 'httpd -f -p 8080 -h /srv') continue;
    const r = await run('nsenter', ['-t', entry, '-u', 'cat', '/proc/sys/kernel/hostname']);
    if (r.code === 0) names.push(r.stdout.trim());
  }
  return names.sort();
}
