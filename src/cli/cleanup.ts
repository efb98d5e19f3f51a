// `k8ts cleanup`: what a k8ts killed outright (SIGKILL, a crash, a power cut of the process) leaves
// on the host, removed for data directories no k8ts runs on (running.ts): the pods' sandboxes
// and their processes, mounts and cgroups, a containerd of the node's own with its shims (or, on a
// runtime at an endpoint, the sandboxes labelled as the cluster's), the pod bridge, routes to
// other nodes, and the iptables chains of the pod network and the service proxy.
// Everything is found from the data directory (its cluster id names the host objects), so a
// running cluster's objects, or another program's, are never touched. The store and the objects
// in it stay: the next start recreates the pods.

import { existsSync, readFileSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { run } from '../network/pod-network/host-command.js';
import { createPodNetwork, networkNames, type PodNetwork } from '../network/pod-network/index.js';
import { removeRules } from '../network/pod-network/iptables.js';
import { deleteLink, linkExists } from '../network/pod-network/links.js';
import { proxyChains } from '../network/proxy/names.js';
import { ownedBy, removeAll as removeProxyChains } from '../network/proxy/iptables.js';
import { kernelRoutes } from '../network/routes/kernel.js';
import type { PeerRoute } from '../network/routes/plan.js';
import { mountsUnder, unmountUnder } from '../runtime/cri/host-objects.js';
import type { PodSandboxStatus } from '../runtime/types.js';
import { DataDirectoryInUseError } from '../store/index.js';
import { markRunning, runningOn } from './running.js';

export const cleanupUsage = `Usage: k8ts cleanup [--data-dir DIR]...

Removes what a k8ts that was killed left on this host (pods' processes and mounts, its containerd
or its pods on the runtime at --cri-endpoint, the pod bridge, routes, iptables chains) for each
data directory no k8ts runs on: a directory is in use while its store is locked or the k8ts command
that recorded its pid there runs. The cluster's objects stay in its store. Default: $K8TS_DATA_DIR
or ~/.k8ts, and the agent's ~/.k8ts/agent.
`;

type Print = (line: string) => void;

export interface CleanupResult {
  dataDir: string;
  /** The pid of the k8ts running on the directory: nothing was touched. */
  runningPid?: number;
  removed: string[];
  failures: string[];
}

export async function runCleanup(args: string[], defaultDataDir: string, print: Print): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string', multiple: true } }, allowPositionals: false });
  const dirs = values['data-dir']?.length ? values['data-dir'] : [defaultDataDir, join(defaultDataDir, 'agent')].filter((d) => existsSync(d));
  if (!dirs.length) print(`${resolve(defaultDataDir)}: no data directory, nothing to remove`);
  let failed = false;
  for (const dir of dirs) {
    const result = await cleanupDataDir(dir);
    const at = resolve(dir);
    if (result.runningPid !== undefined) print(`${at}: in use by a running k8ts (pid ${result.runningPid}), left alone`);
    else if (!result.removed.length && !result.failures.length) print(`${at}: nothing to remove`);
    for (const line of result.removed) print(`${at}: removed ${line}`);
    for (const line of result.failures) print(`${at}: could not remove ${line}`);
    failed ||= result.failures.length > 0;
  }
  if (failed) throw new Error('cleanup left some objects behind (see above)');
}

/** Removes the host objects of the cluster or agent on `dataDir`, unless a k8ts runs on it. */
export async function cleanupDataDir(dataDir: string): Promise<CleanupResult> {
  const dir = resolve(dataDir);
  const result: CleanupResult = { dataDir: dir, removed: [], failures: [] };
  if (!existsSync(dir)) return result;
  // This very process may be the one running on it (a cluster started in it): markRunning lets that pass.
  const runningPid = runningOn(dir);
  if (runningPid !== undefined) return { ...result, runningPid };
  // Held while removing: a k8ts started meanwhile on the directory refuses to.
  let release: () => void;
  try {
    release = markRunning(dir);
  } catch (err) {
    if (err instanceof DataDirectoryInUseError && err.pid !== undefined) return { ...result, runningPid: err.pid };
    throw err;
  }
  const idFile = join(dir, 'cluster-id');
  if (!existsSync(idFile)) {
    release();
    return result;
  }
  const clusterId = readFileSync(idFile, 'utf8').trim();
  try {
    await removeLeftovers(dir, clusterId, result);
  } finally {
    release();
  }
  return result;
}

async function removeLeftovers(dir: string, clusterId: string, result: CleanupResult): Promise<void> {
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      result.failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  const root = process.getuid?.() === 0;
  // The runtime's own teardown removes some chains: which went is told from the host before and after.
  const chainsBefore = root ? await chainsOf(clusterId) : [];
  await step('the process runtime\'s pods', () => removeProcessPods(dir, clusterId, result.removed));
  await step('the containerd of the node', () => removeOwnContainerd(dir, clusterId, result.removed));
  await step('the pods on the CRI runtime at the endpoint', () => removeEndpointPods(dir, clusterId, result.removed));
  if (root) {
    for (const stateFile of [join(dir, 'runtime', 'network', 'routes.json'), join(dir, 'cri', 'routes.json')]) {
      await step(`the routes in ${stateFile}`, () => removeRoutes(stateFile, result.removed));
    }
    await step('the pod network\'s chains', () => removeRules(networkNames(clusterId)));
    await step('the service proxy\'s chains', () => removeProxyChains(proxyChains(clusterId)));
    const left = new Set(await chainsOf(clusterId));
    const gone = chainsBefore.filter((c) => !left.has(c));
    if (gone.length) result.removed.push(`iptables chains ${gone.join(', ')}`);
    if (left.size) result.failures.push(`iptables chains ${[...left].join(', ')}`);
    await step('the pod bridge', async () => {
      const bridge = networkNames(clusterId).bridge;
      if (!linkExists(bridge)) return;
      await deleteLink(bridge);
      result.removed.push(`bridge ${bridge}`);
    });
    for (const sub of ['runtime', 'containerd']) {
      await step(`mounts under ${join(dir, sub)}`, async () => {
        const points = await mountsUnder(join(dir, sub));
        if (!points.length) return;
        await unmountUnder(join(dir, sub));
        result.removed.push(`${points.length} mount${points.length === 1 ? '' : 's'} under ${join(dir, sub)}`);
      });
    }
  }
}

const describe = (s: PodSandboxStatus) => `pod sandbox ${s.namespace}/${s.name} (${s.id.slice(0, 12)})`;

/** The process runtime's sandboxes, adopted from its records and removed as the runtime removes them. */
async function removeProcessPods(dir: string, clusterId: string, removed: string[]): Promise<void> {
  const rootDir = join(dir, 'runtime');
  if (!existsSync(join(rootDir, 'sandboxes')) && !existsSync(join(rootDir, 'containers'))) return;
  const root = process.getuid?.() === 0;
  const { createProcessRuntime } = await import('../runtime/process/runtime.js');
  // The network is reopened only while its bridge is there: a new bridge could clash with a cluster that took the subnet since.
  const networkState = join(rootDir, 'network', 'pod-network.json');
  const bridge = networkNames(clusterId).bridge;
  let network: PodNetwork | null = null;
  if (root && existsSync(networkState) && linkExists(bridge)) {
    const { podCIDR } = JSON.parse(readFileSync(networkState, 'utf8')) as { podCIDR: string };
    network = await createPodNetwork({ clusterId, podCIDR, stateDir: join(rootDir, 'network') });
  }
  const runtime = await createProcessRuntime({ rootDir, network, ...(root ? {} : { isolation: 'none' as const }) });
  try {
    const sandboxes = await runtime.listPodSandboxes();
    await runtime.removeAll();
    removed.push(...sandboxes.map(describe));
  } finally {
    await runtime.close();
  }
  if (network) {
    await network.teardown();
    removed.push(`bridge ${bridge}`);
  } else {
    // The sandboxes' addresses went with their namespaces.
    await rm(networkState, { force: true });
  }
  // The runtime's parent cgroup (named after its root directory), once its pods' groups are gone.
  const parent = `k8ts-${createHash('sha256').update(resolve(rootDir)).digest('hex').slice(0, 12)}`;
  for (const controller of ['pids', 'memory', 'cpu']) {
    const group = join('/sys/fs/cgroup', controller, parent);
    if (existsSync(group) && (await rmdir(group).then(() => true, () => false))) removed.push(`cgroup ${group}`);
  }
}

/** A containerd of the node's own: its pods through CRI while it answers, then it, its shims, mounts, bridge and state. */
async function removeOwnContainerd(dir: string, clusterId: string, removed: string[]): Promise<void> {
  const base = join(dir, 'containerd');
  if (!existsSync(base)) return;
  const { containerdLayout, criNames } = await import('../runtime/cri/containerd-config.js');
  const { runningContainerd, removeContainerdLeftovers } = await import('../runtime/cri/containerd.js');
  const { CriRuntime } = await import('../runtime/cri/runtime.js');
  const layout = containerdLayout(base);
  const names = criNames(clusterId);
  const pid = await runningContainerd(layout);
  if (pid !== undefined) {
    const runtime = new CriRuntime({ endpoint: `unix://${layout.socket}`, stateDir: join(dir, 'cri'), cgroupRoot: names.cgroupRoot });
    try {
      await runtime.client.waitForReady(10_000);
      const sandboxes = await runtime.listPodSandboxes();
      await runtime.removeAll();
      removed.push(...sandboxes.map(describe));
    } catch {
      // Not answering: its shims and pods are ended below all the same.
    } finally {
      await runtime.close();
    }
    await endProcess(pid);
    removed.push(`containerd (pid ${pid})`);
  }
  const bridgeExisted = linkExists(names.bridge);
  await removeCniMasquerade(names.network, removed);
  await removeContainerdLeftovers(base, clusterId);
  if (bridgeExisted) removed.push(`bridge ${names.bridge}`);
}

/** On a runtime k8ts did not start (--cri-endpoint): the sandboxes labelled as the cluster's, nothing else. */
async function removeEndpointPods(dir: string, clusterId: string, removed: string[]): Promise<void> {
  const { endpointRuntime, lastEndpoint } = await import('../runtime/cri/node.js');
  const endpoint = lastEndpoint(dir);
  if (!endpoint || !existsSync(endpoint.replace(/^unix:\/\//, ''))) return;
  const runtime = endpointRuntime(endpoint, dir, clusterId);
  try {
    await runtime.client.waitForReady(10_000);
    const sandboxes = await runtime.listPodSandboxes();
    await runtime.removeAll();
    removed.push(...sandboxes.map((s) => `${describe(s)} on ${endpoint}`));
  } finally {
    await runtime.close();
  }
}

async function endProcess(pid: number): Promise<void> {
  const alive = () => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Gone.
    }
  };
  signal('SIGTERM');
  for (let waited = 0; alive() && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (alive()) signal('SIGKILL');
}

/** The CNI bridge plugin's masquerading of a network's pods (rules name the network), left when sandboxes were never torn down. */
async function removeCniMasquerade(network: string, removed: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const text = await run('iptables-save', ['-t', 'nat']);
  const rules = text.split('\n').filter((l) => l.startsWith('-A POSTROUTING ') && l.includes(`name: \\"${network}\\"`));
  const chains = [...new Set(rules.map((l) => /-j (CNI-\S+)/.exec(l)?.[1]).filter((c): c is string => !!c))];
  if (!rules.length) return;
  const restore = ['*nat', ...rules.map((r) => `-D ${r.slice(3)}`), ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
  await run('iptables-restore', ['-w', '--noflush'], restore);
  removed.push(`iptables chains ${chains.join(', ')} (CNI masquerading)`);
}

async function removeRoutes(stateFile: string, removed: string[]): Promise<void> {
  if (!existsSync(stateFile)) return;
  const routes = Object.values(JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, PeerRoute>);
  for (const route of routes) {
    const present = (await run('ip', ['-4', 'route', 'show', route.cidr, 'via', route.via])).trim() !== '';
    await kernelRoutes.delete(route);
    if (present) removed.push(`route ${route.cidr} via ${route.via}`);
  }
  await rm(stateFile, { force: true });
}

/** The chains of the cluster's pod network and service proxy on the host. */
async function chainsOf(clusterId: string): Promise<string[]> {
  const n = networkNames(clusterId);
  const p = proxyChains(clusterId);
  const own = new Set([n.hostPortChain, n.postroutingChain, n.forwardChain]);
  const text = await run('iptables-save', []);
  const chains = text.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!);
  return [...new Set(chains.filter((c) => own.has(c) || ownedBy(p, c)))];
}
