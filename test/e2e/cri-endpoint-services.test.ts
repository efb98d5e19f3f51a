// Services and cluster DNS on a CRI runtime that k8ts did not configure: the test starts a
// containerd of its own (its config, state, socket, and a CNI conflist with a bridge and subnet
// unique to the run), and a cluster on it with --cri-endpoint. A pod reaches a Service by its
// ClusterIP and by its DNS name, and the `kubernetes` Service on the loopback API server; stopping
// the cluster removes the proxy's chains. Everything the test made is removed even when it fails:
// containerd and its shims, mounts, state, the bridge, host-local's allocations and the bridge
// plugin's NAT rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../../src/cluster.js';
import { containerdMissingReason } from '../../src/runtime/cri/index.js';
import { proxyChains } from '../../src/network/proxy/index.js';
import { removeAll as removeProxyChains } from '../../src/network/proxy/iptables.js';
import { safeRemove } from '../../src/util/safe-remove.js';
import { ApiClient } from '../../src/client/client.js';
import type { KubeObject, Pod } from '../../src/api/types.js';
import { deferCleanup } from '../helpers/cli.js';
import { eventually, run } from '../helpers/cluster.js';
import { proxyChainsPresent, startForeignContainerd } from '../helpers/foreign-containerd.js';
import { ociStandIn } from '../helpers/oci-images.js';
import { randomServiceCIDR } from './scenario-support.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

const skip = process.getuid?.() !== 0 ? 'needs root' : containerdMissingReason() ?? false;

test('a runtime with its own CNI: pods reach Services by ClusterIP and DNS name, and the loopback API server', { skip, timeout: 300_000 }, async (t) => {
  const foreign = await startForeignContainerd(t);
  await foreign.importImages([
    { name: 'docker.io/library/nginx:latest', image: ociStandIn('nginx') },
    { name: 'docker.io/library/busybox:latest', image: ociStandIn('busybox') },
  ]);
  const cluster = await startCluster({ store: 'memory', serviceCidr: randomServiceCIDR(), node: { runtime: 'cri', criEndpoint: `unix://${foreign.socket}` } });
  const clusterId = readFileSync(join(cluster.dataDir, 'cluster-id'), 'utf8').trim();
  deferCleanup(t, async () => {
    await cluster.stop();
    await removeProxyChains(proxyChains(clusterId));
  });
  const scratch = mkdtempSync('/tmp/k8ts-foreign-kubectl-');
  deferCleanup(t, () => safeRemove(scratch));
  const kubeconfig = join(scratch, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
  const kubectl = (args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
  await eventually(() => cluster.client.request('GET', '/api/v1/namespaces/default/serviceaccounts/default').then(() => true));

  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Never', readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 } }] },
  } as never);
  const service = (await cluster.client.create<KubeObject>(SERVICES, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080, targetPort: 80 }] } })) as KubeObject & { spec: { clusterIP: string } };
  const web = await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'web');
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p;
  }, 90_000, 200, 'web Ready');
  const prefix = foreign.subnet.split('.').slice(0, 3).join('.');
  assert.ok(web.status!.podIP!.startsWith(`${prefix}.`), `pod IP ${web.status!.podIP} from the runtime's own CNI subnet ${foreign.subnet}`);

  const kubernetesIP = ((await cluster.client.get<KubeObject>(SERVICES, 'default', 'kubernetes')) as KubeObject & { spec: { clusterIP: string } }).spec.clusterIP;
  // busybox-static's wget crashes in glibc's resolver: HTTP through nc, names through nslookup (our DNS).
  const get = (host: string) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} 8080 | grep -q 'Welcome to nginx'`;
  const script = [
    'set -e',
    `${get(service.spec.clusterIP)} && echo by-cluster-ip`,
    'ip=$(nslookup web.default.svc.cluster.local | awk \'/^Address/ { a = $NF } END { print a }\')',
    `[ "$ip" = ${service.spec.clusterIP} ] && echo resolved`,
    `${get('$ip')} && echo by-name`,
    `nc -w 3 ${kubernetesIP} 443 -e true && echo api-server`,
  ].join('\n');
  await cluster.client.create(PODS, 'default', {
    metadata: { name: 'client' },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', script] }] },
  } as never);
  const done = await eventually(async () => {
    const p = await cluster.client.get<Pod>(PODS, 'default', 'client');
    return (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p;
  }, 90_000, 250, 'client finished');
  const logs = await kubectl(['logs', 'client']);
  assert.equal(done.status!.phase, 'Succeeded', `client: ${logs.stdout}${logs.stderr}`);
  assert.deepEqual(logs.stdout.trim().split('\n'), ['by-cluster-ip', 'resolved', 'by-name', 'api-server']);
  const resolv = await kubectl(['exec', 'web', '--', 'cat', '/etc/resolv.conf']);
  assert.match(resolv.stdout, new RegExp(`nameserver ${(await cluster.client.get<KubeObject>(SERVICES, 'kube-system', 'kube-dns') as KubeObject & { spec: { clusterIP: string } }).spec.clusterIP.replace(/\./g, '\\.')}`));

  assert.ok((await proxyChainsPresent(clusterId)).length > 0, 'the proxy programmed the host');
  await cluster.stop();
  assert.deepEqual(await proxyChainsPresent(clusterId), [], 'no chain of the proxy left after stop');
});
