// `k8ts agent --runtime cri --cri-endpoint` in its own process, joined with a bootstrap token, on
// a containerd the test configures as a user might (its own CNI bridge and subnet): the Node
// registers Ready with containerd as its runtime, a pod gets an address of that CNI's subnet, its
// logs and exec go through the agent, a pod on the node reaches it by a Service's ClusterIP and DNS
// name, an agent killed outright and started again adopts it and serves it again, its sandbox goes
// with it, and SIGTERM leaves neither sandboxes, address allocations nor proxy chains behind, nor
// does `k8ts cleanup` after a SIGKILL; a sandbox someone else made on that runtime is left alone
// throughout. Without an endpoint the agent runs a containerd of its own: pods on the Node's
// subnet, and nothing of it left after SIGTERM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdMissingReason, runningContainerd } from '../../src/runtime/cri/containerd.js';
import { containerdLayout, criNames } from '../../src/runtime/cri/containerd-config.js';
import { mountsUnder } from '../../src/runtime/cri/host-objects.js';
import { linkExists } from '../../src/network/pod-network/links.js';
import { ociArchive } from '../../src/images/index.js';
import { cleanupDataDir } from '../../src/cli/cleanup.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { proxyChains } from '../../src/network/proxy/index.js';
import { removeAll as removeProxyChains } from '../../src/network/proxy/iptables.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject, Node, Pod } from '../../src/api/types.js';
import { K8TS_BIN, deferCleanup, startK8ts, tempDir } from '../helpers/cli.js';
import { eventually, run, testCluster } from '../helpers/cluster.js';
import { proxyChainsPresent, startForeignContainerd } from '../helpers/foreign-containerd.js';
import { ociStandIn } from '../helpers/oci-images.js';
import { randomPodCIDR, randomServiceCIDR } from './scenario-support.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const PODS = ApiClient.resourceOf('v1', 'Pod');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

const skip = process.getuid?.() !== 0 ? 'needs root' : containerdMissingReason() ?? false;

/** The names of the pods whose sandboxes the containerd holds. */
async function sandboxNames(socket: string): Promise<string[]> {
  const client = new CriClient(`unix://${socket}`);
  try {
    const res = await client.runtime('ListPodSandbox', {});
    return (res.items as { metadata?: { name?: string } }[]).map((s) => s.metadata?.name ?? '').sort();
  } finally {
    client.close();
  }
}

test('k8ts agent --runtime cri on a containerd with its own CNI: Ready, logs, exec, Services, adoption after SIGKILL, sandboxes removed', { skip, timeout: 300_000 }, async (t) => {
  const foreign = await startForeignContainerd(t);
  await foreign.importImages([{ name: 'docker.io/library/busybox:latest', image: ociStandIn('busybox') }]);
  // A sandbox someone else made on the same runtime: the agent must neither adopt nor remove it.
  const bystander = new CriClient(`unix://${foreign.socket}`);
  try {
    await bystander.runtime('RunPodSandbox', { config: { metadata: { name: 'bystander', uid: `bystander-${process.pid}`, namespace: 'elsewhere', attempt: 0 }, hostname: 'bystander', logDirectory: '', linux: {} } });
  } finally {
    bystander.close();
  }
  const cluster = await testCluster(t, { store: 'memory', serviceCidr: randomServiceCIDR() });
  const dir = tempDir(t, 'k8ts-cri-agent-');
  const dataDir = join(dir, 'agent');
  // A SIGKILLed agent (a failed test) leaves its proxy's chains: they are named after its cluster id.
  deferCleanup(t, async () => {
    const idFile = join(dataDir, 'cluster-id');
    if (existsSync(idFile)) await removeProxyChains(proxyChains(readFileSync(idFile, 'utf8').trim()));
  });
  // Joined as a user joins a node: with a bootstrap token, after which the agent has a node's credential only.
  const created = await run(process.execPath, [K8TS_BIN, 'token', 'create', '--data-dir', cluster.dataDir, '--print-join-command']);
  assert.equal(created.code, 0, created.stderr);
  const joinArgs = created.stdout.trim().split(' ').slice(1);
  assert.deepEqual(joinArgs.slice(0, 2), ['agent', '--server']);
  const nodeName = `cri-worker-${process.pid}`;
  const agentArgs = ['--node-name', nodeName, '--port', '0', '--data-dir', dataDir, '--runtime', 'cri', '--cri-endpoint', `unix://${foreign.socket}`];
  let agent = startK8ts(t, [...joinArgs, ...agentArgs]);
  const diagnostics = () => `agent output:\n${agent.stdout()}${agent.stderr()}`;

  const node = await eventually(async () => {
    if (agent.child.exitCode !== null) throw new Error(`the agent exited\n${diagnostics()}`);
    const n = await cluster.client.get<Node>(NODES, '', nodeName).catch(() => undefined);
    return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n;
  }, 60_000, 200, 'the Node Ready');
  assert.match(node.status!.nodeInfo!.containerRuntimeVersion!, /^containerd:\/\/\S+$/);

  const web = `mkdir -p /www && echo "served by $(hostname)" > /www/index.html && echo web started && exec httpd -f -p 80 -h /www`;
  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', web], readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 } }] },
  } as never);
  const service = (await cluster.client.create<KubeObject>(SERVICES, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] } })) as KubeObject & { spec: { clusterIP: string } };
  const ready = await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'web');
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
  }, 90_000, 200, 'web Ready');
  const prefix = foreign.subnet.split('.').slice(0, 3).join('.');
  assert.ok(ready.status!.podIP!.startsWith(`${prefix}.`), `pod IP ${ready.status!.podIP} from the runtime's own CNI subnet ${foreign.subnet}`);

  const logs = await cluster.kubectl(['logs', 'web']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, 'web started\n');
  const exec = await cluster.kubectl(['exec', 'web', '--', 'cat', '/www/index.html']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, 'served by web\n');

  // busybox-static's wget crashes in glibc's resolver: HTTP through nc, names through nslookup (the node's DNS).
  const get = (host: string) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 8080 | grep -q 'served by web'`;
  const clientScript = [
    'set -e',
    `${get(service.spec.clusterIP)} && echo by-cluster-ip`,
    'ip=$(nslookup web.default.svc.cluster.local | awk \'/^Address/ { a = $NF } END { print a }\')',
    `[ "$ip" = ${service.spec.clusterIP} ] && echo resolved`,
    `${get('$ip')} && echo by-name`,
  ].join('\n');
  const runClient = async (name: string) => {
    await cluster.client.create(PODS, 'default', {
      metadata: { name },
      spec: { nodeName, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', clientScript] }] },
    } as never);
    const done = await eventually(async () => {
      const p = await cluster.client.get<Pod>(PODS, 'default', name);
      return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
    }, 90_000, 250, `${name} finished`);
    const clientLogs = await cluster.kubectl(['logs', name]);
    assert.equal(done.status!.phase, 'Succeeded', `${name}: ${clientLogs.stdout}${clientLogs.stderr}\n${diagnostics()}`);
    assert.deepEqual(clientLogs.stdout.trim().split('\n'), ['by-cluster-ip', 'resolved', 'by-name']);
  };
  await runClient('client');

  // Killed outright and started again on its own credential (no token): the pod is adopted, not
  // restarted, and the learned network is served again.
  const webContainer = ready.status!.containerStatuses![0]!;
  await agent.stop('SIGKILL');
  agent = startK8ts(t, ['agent', ...agentArgs]);
  await agent.waitFor(/node agent ready/, 60_000);
  await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'web');
    const c = p.status?.containerStatuses?.[0];
    return p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && c?.containerID === webContainer.containerID && c;
  }, 60_000, 200, 'web Ready with the same container after the restart');
  const adopted = (await cluster.client.get<Pod>(PODS, 'default', 'web')).status!.containerStatuses![0]!;
  assert.equal(adopted.restartCount, 0);
  assert.equal(adopted.state?.running?.startedAt, webContainer.state?.running?.startedAt);
  const logsAfter = await cluster.kubectl(['logs', 'web']);
  assert.equal(logsAfter.stdout, 'web started\n', logsAfter.stderr);
  await runClient('client-after-restart');

  assert.deepEqual(await sandboxNames(foreign.socket), ['bystander', 'client', 'client-after-restart', 'web'], 'the pods have sandboxes; the other one is still there');
  const deleted = await cluster.kubectl(['delete', 'pod', 'web', '--wait=true', '--timeout=60s']);
  assert.equal(deleted.code, 0, deleted.stderr);
  await eventually(async () => !(await sandboxNames(foreign.socket)).includes('web'), 30_000, 200, 'the web sandbox removed');

  const agentClusterId = readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim();
  assert.ok((await proxyChainsPresent(agentClusterId)).length > 0, 'the agent\'s proxy programmed the host');
  const exit = await agent.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, diagnostics());
  assert.deepEqual(await sandboxNames(foreign.socket), ['bystander'], 'none of the agent\'s sandboxes left after it stopped, and the other one kept');
  assert.equal(foreign.allocations().length, 1, 'only the other sandbox\'s address still allocated');
  assert.deepEqual(await proxyChainsPresent(agentClusterId), [], 'no chain of the proxy left');

  // Killed outright with a pod running: `k8ts cleanup` removes the agent's sandbox from the runtime
  // (and its proxy's chains), not the other one.
  agent = startK8ts(t, ['agent', ...agentArgs]);
  await agent.waitFor(/node agent ready/, 60_000);
  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'left' },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
  } as never);
  await eventually(async () => (await cluster.client.get<Pod>(PODS, 'default', 'left')).status?.phase === 'Running', 60_000, 200, 'left Running');
  await agent.stop('SIGKILL');
  assert.deepEqual(await sandboxNames(foreign.socket), ['bystander', 'left']);
  assert.ok((await proxyChainsPresent(agentClusterId)).length > 0);
  const cleanup = await run(process.execPath, [K8TS_BIN, 'cleanup', '--data-dir', dataDir]);
  assert.equal(cleanup.code, 0, cleanup.stdout + cleanup.stderr);
  assert.match(cleanup.stdout, new RegExp(`^${dataDir}: removed pod sandbox default/left \\([0-9a-f]{12}\\) on unix://${foreign.socket}$`, 'm'));
  assert.match(cleanup.stdout, new RegExp(`^${dataDir}: removed iptables chains K8TS-`, 'm'));
  assert.deepEqual(await sandboxNames(foreign.socket), ['bystander']);
  assert.equal(foreign.allocations().length, 1);
  assert.deepEqual(await proxyChainsPresent(agentClusterId), []);
});

test('k8ts agent --runtime cri with a containerd of its own: pods on the Node\'s subnet, logs and exec; SIGTERM removes containerd and its bridge', { skip, timeout: 240_000 }, async (t) => {
  const cluster = await testCluster(t, { store: 'memory', serviceCidr: randomServiceCIDR() });
  const dir = tempDir(t, 'k8ts-cri-agent-own-');
  const dataDir = join(dir, 'agent');
  // A failed test's SIGKILLed agent leaves containerd, its pods and chains: removed as `k8ts cleanup` would.
  deferCleanup(t, () => cleanupDataDir(dataDir));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
  const nodeName = `cri-own-${process.pid}`;
  const podCIDR = randomPodCIDR();
  const agent = startK8ts(t, ['agent', '--kubeconfig', kubeconfig, '--node-name', nodeName, '--port', '0', '--data-dir', dataDir, '--runtime', 'cri', '--pod-cidr', podCIDR]);
  await agent.waitFor(/node agent ready/, 90_000);
  const layout = containerdLayout(join(dataDir, 'containerd'));
  const archive = join(dir, 'busybox.tar');
  writeFileSync(archive, ociArchive([{ name: 'docker.io/library/busybox:latest', image: ociStandIn('busybox') }]));
  const imported = await run('ctr', ['--address', layout.socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
  assert.equal(imported.code, 0, imported.stderr);
  const node = await eventually(async () => {
    const n = await cluster.client.get<Node>(NODES, '', nodeName).catch(() => undefined);
    return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && n;
  }, 60_000, 200, 'the Node Ready');
  assert.match(node.status!.nodeInfo!.containerRuntimeVersion!, /^containerd:\/\/\S+$/);

  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'hello' },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', 'echo hello from $(hostname) && exec sleep 3600'] }] },
  } as never);
  const running = await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'hello');
    return p.status?.phase === 'Running' && p;
  }, 60_000, 200, 'hello Running');
  assert.ok(running.status!.podIP!.startsWith(`${podCIDR.split('.').slice(0, 3).join('.')}.`), `pod IP ${running.status!.podIP} in the Node's ${podCIDR}`);
  const logs = await eventually(async () => {
    const r = await cluster.kubectl(['logs', 'hello']);
    return r.stdout ? r : undefined;
  }, 10_000, 100, 'logs');
  assert.equal(logs.stdout, 'hello from hello\n', logs.stderr);
  const exec = await cluster.kubectl(['exec', 'hello', '--', 'cat', '/etc/hostname']);
  assert.equal(exec.stdout, 'hello\n', exec.stderr);

  const clusterId = readFileSync(join(dataDir, 'cluster-id'), 'utf8').trim();
  const bridge = criNames(clusterId).bridge;
  assert.ok(linkExists(bridge));
  assert.ok((await runningContainerd(layout)) !== undefined);
  assert.deepEqual(await agent.stop('SIGTERM'), { code: 0, signal: null }, agent.stdout() + agent.stderr());
  assert.equal(await runningContainerd(layout), undefined, 'containerd stopped');
  assert.equal(linkExists(bridge), false, 'its bridge removed');
  assert.deepEqual(await mountsUnder(dataDir), []);
  assert.deepEqual(await proxyChainsPresent(clusterId), []);
});
