// Cluster DNS on joined nodes: `k8ts server` in the root namespace and two `k8ts agent`s, each in a
// host namespace of its own, joined with a bootstrap token. Each node runs its own DNS server and
// publishes it as its own EndpointSlice of the kube-dns Service; a pod on either node resolves a
// Service name, a headless pod name on the other node and gets NXDOMAIN for an unknown name, all
// through the kube-dns Service IP; seed scenario 01's init containers wait for their Services on a
// joined node. A node's credential writes only its own slice. When an agent stops, its slice goes
// and the other node's pods still resolve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createHosts, runCommand, type TestHost } from '../helpers/hosts.js';
import { K8TS_BIN, startK8tsServer, tempDir } from '../helpers/cli.js';
import { run, eventually } from '../helpers/cluster.js';
import { installStandInImages } from '../helpers/images.js';
import { scenario } from './scenario-support.js';

const root = process.getuid?.() === 0;

interface Slice {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  endpoints?: { addresses: string[]; nodeName?: string }[];
  ports?: { name: string; port: number; protocol: string }[];
}

test('every node answers its pods’ cluster DNS through the kube-dns Service', { skip: !root && 'needs root for network namespaces and the process runtime' }, async (t) => {
  const net = await createHosts(t, ['node-a', 'node-b']);
  const dir = tempDir(t, 'k8ts-multi-host-dns-');
  const clusterCidr = `10.${16 + Math.floor(Math.random() * 64)}.0.0/16`;
  const serverDir = join(dir, 'server');
  const server = await startK8tsServer(t, ['--address', net.gateway, '--store', 'memory', '--data-dir', serverDir, '--write-kubeconfig=false', '--cluster-cidr', clusterCidr]);
  t.after(() => server.stop());
  const kubeconfig = join(serverDir, 'kubeconfig');
  const kubectlAs = async (config: string, args: string[], stdin?: string) => run('kubectl', ['--kubeconfig', config, ...args], stdin === undefined ? {} : { stdin });
  const kubectl = async (args: string[], stdin?: string) => {
    const r = await kubectlAs(kubeconfig, args, stdin);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  const created = await runCommand(process.execPath, [K8TS_BIN, 'token', 'create', '--data-dir', serverDir, '--print-join-command']);
  assert.equal(created.code, 0, created.stderr);
  const joinArgs = created.stdout.trim().split(' ').slice(1);
  const agentLogs = new Map<string, () => string>();
  const agents = new Map<string, ReturnType<TestHost['spawn']>>();
  await Promise.all(
    net.hosts.map(async (host) => {
      const agentDir = join(dir, host.name);
      await installStandInImages({ dataDir: agentDir }, ['busybox', 'busybox:1.28']);
      const child = host.spawn(process.execPath, [K8TS_BIN, ...joinArgs, '--node-name', host.name, '--address', host.address, '--port', '0', '--data-dir', agentDir]);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      agentLogs.set(host.name, () => out);
      agents.set(host.name, child);
    }),
  );
  const logs = () => [...agentLogs].map(([name, out]) => `--- ${name}\n${out()}`).join('\n');

  // The kube-dns Service exists from the control plane's start, its traffic kept on the node.
  const dnsService = JSON.parse(await kubectl(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json'])) as { spec: { clusterIP: string; internalTrafficPolicy?: string; selector?: unknown } };
  assert.equal(dnsService.spec.clusterIP, '10.96.0.10');
  assert.equal(dnsService.spec.internalTrafficPolicy, 'Local');
  assert.equal(dnsService.spec.selector, undefined);

  const nodes = await eventually(async () => {
    const list = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { podCIDR?: string }; status: { conditions?: { type: string; status: string }[] } }[] };
    const ready = list.items.filter((n) => n.spec.podCIDR && n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 2 ? ready : undefined;
  }, 90_000).catch((err: Error) => assert.fail(`${err.message}\n${logs()}`));
  const subnetOf = (node: string) => nodes.find((n) => n.metadata.name === node)!.spec.podCIDR!;
  const inSubnet = (ip: string, cidr: string) => ip.startsWith(cidr.split('.').slice(0, 3).join('.') + '.');

  // One slice per node, written by that node: its own server, on its pod network.
  const dnsSlices = async () =>
    (JSON.parse(await kubectl(['get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json'])) as { items: Slice[] }).items;
  const slices = await eventually(async () => {
    const items = await dnsSlices();
    return items.length === 2 ? items : undefined;
  }, 30_000).catch((err: Error) => assert.fail(`${err.message}\n${logs()}`));
  for (const node of ['node-a', 'node-b']) {
    const slice = slices.find((s) => s.metadata.name === `kube-dns-${node}`);
    assert.ok(slice, `a slice for ${node}: ${slices.map((s) => s.metadata.name).join(', ')}`);
    assert.equal(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'node-dns.k8ts.io');
    assert.deepEqual(slice.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`), [`Node/${node}`]);
    assert.equal(slice.endpoints?.length, 1);
    assert.equal(slice.endpoints![0]!.nodeName, node);
    assert.ok(inSubnet(slice.endpoints![0]!.addresses[0]!, subnetOf(node)), `${node}'s DNS server ${slice.endpoints![0]!.addresses[0]} on its pod network ${subnetOf(node)}`);
    assert.deepEqual(slice.ports?.map((p) => `${p.name}/${p.protocol}`).sort(), ['dns-tcp/TCP', 'dns/UDP']);
  }

  // A node's credential writes only its own slice, and still lists only its own pods.
  const nodeA = join(dir, 'node-a', 'kubeconfig');
  const foreign = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kube-dns-node-b', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.2.3'], nodeName: 'node-b' }] };
  const overwrite = await kubectlAs(nodeA, ['replace', '-f', '-'], JSON.stringify(foreign));
  assert.notEqual(overwrite.code, 0);
  assert.match(overwrite.stderr, /Forbidden/, overwrite.stderr);
  const impostor = await kubectlAs(nodeA, ['create', '-f', '-'], JSON.stringify({ ...foreign, metadata: { ...foreign.metadata, name: 'kube-dns-node-a2' } }));
  assert.match(impostor.stderr, /node "node-a" can only write the endpointslice "kube-dns-node-a"/, impostor.stderr);
  const allPods = await kubectlAs(nodeA, ['get', 'pods', '-A']);
  assert.match(allPods.stderr, /Forbidden/, allPods.stderr);

  // A pod on each node, each named in a headless Service; a ClusterIP Service over both.
  const ns = `dns-${randomBytes(3).toString('hex')}`;
  await kubectl(['create', 'namespace', ns]);
  t.after(() => run('kubectl', ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=false']));
  const pod = (name: string, node: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'dns' } },
    spec: { nodeName: node, hostname: name, subdomain: 'members', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
  });
  const items = [
    pod('pod-a', 'node-a'),
    pod('pod-b', 'node-b'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'members', namespace: ns }, spec: { clusterIP: 'None', selector: { app: 'dns' }, ports: [{ name: 'x', port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'dns' }, ports: [{ port: 80 }] } },
  ];
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const podIPs = await eventually(async () => {
    const list = JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-o', 'json'])) as { items: { metadata: { name: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[] };
    const ready = list.items.filter((p) => p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 2 ? new Map(ready.map((p) => [p.metadata.name, p.status.podIP!])) : undefined;
  }, 60_000).catch(async (err: Error) => assert.fail(`${err.message}\n${(await run('kubectl', ['--kubeconfig', kubeconfig, 'describe', 'pods', '-n', ns])).stdout}\n${logs()}`));
  const webIP = (JSON.parse(await kubectl(['get', 'service', 'web', '-n', ns, '-o', 'json'])) as { spec: { clusterIP: string } }).spec.clusterIP;

  const lookup = (from: string, name: string) => kubectlAs(kubeconfig, ['exec', '-n', ns, from, '--', 'nslookup', name]);
  const resolves = async (from: string, name: string, ip: string) => {
    const r = await eventually(async () => {
      const res = await lookup(from, name);
      return res.code === 0 && res.stdout.includes(`Address: ${ip}`) ? res : undefined;
    }, 15_000).catch(async () => lookup(from, name));
    assert.ok(r.code === 0 && r.stdout.includes(`Address: ${ip}`), `${name} from ${from}: ${r.stdout}${r.stderr}`);
    return r;
  };
  for (const [self, other] of [['pod-a', 'pod-b'], ['pod-b', 'pod-a']] as const) {
    const resolvConf = await kubectl(['exec', '-n', ns, self, '--', 'cat', '/etc/resolv.conf']);
    assert.match(resolvConf, /^nameserver 10\.96\.0\.10$/m, resolvConf);
    const answer = await resolves(self, `web.${ns}.svc.cluster.local`, webIP);
    assert.match(answer.stdout, /^Server:\s+10\.96\.0\.10$/m, answer.stdout);
    await resolves(self, `${other}.members.${ns}.svc.cluster.local`, podIPs.get(other)!);
    const dashed = podIPs.get(other)!.replace(/\./g, '-');
    await resolves(self, `${dashed}.${ns}.pod.cluster.local`, podIPs.get(other)!);
    const unknown = await lookup(self, `nosuch.${ns}.svc.cluster.local`);
    assert.notEqual(unknown.code, 0, unknown.stdout);
    assert.match(unknown.stdout + unknown.stderr, /NXDOMAIN/, unknown.stdout + unknown.stderr);
  }

  // Seed scenario 01 on node-b: its init containers wait until both Services resolve.
  const seed = JSON.parse(await kubectl(['create', '--dry-run=client', '-o', 'json', '-n', ns, '-f', '-'], scenario('01-init-waits-for-services.yaml'))) as { spec: Record<string, unknown> };
  seed.spec.nodeName = 'node-b';
  await kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify(seed));
  const phase = async () => (await kubectl(['get', 'pod', 'app-pod', '-n', ns, '-o', 'jsonpath={.status.phase} {.status.initContainerStatuses[0].state.running.startedAt}'])).trim();
  await eventually(async () => /^Pending \S+$/.test(await phase()), 30_000).catch(async () => assert.fail(`app-pod: ${await phase()}\n${logs()}`));
  await eventually(async () => (await kubectl(['logs', '-n', ns, 'app-pod', '-c', 'init-myservice'])).includes('waiting for myservice'), 30_000);
  await kubectl(['apply', '-n', ns, '-f', '-'], scenario('01-services.yaml'));
  await eventually(async () => (await phase()).startsWith('Running'), 60_000).catch(async () => assert.fail(`app-pod: ${await phase()}\n${logs()}`));
  assert.equal(await kubectl(['logs', '-n', ns, 'app-pod']), 'The app is running!\n');

  // node-b's agent stops: its slice goes, node-a's stays and node-a's pods still resolve.
  const agentB = agents.get('node-b')!;
  const exited = new Promise<number | null>((resolve) => agentB.once('exit', (code) => resolve(code)));
  agentB.kill('SIGTERM');
  assert.equal(await exited, 0, logs());
  const left = await dnsSlices();
  assert.deepEqual(left.map((s) => s.metadata.name), ['kube-dns-node-a']);
  await resolves('pod-a', `web.${ns}.svc.cluster.local`, webIP);
});
