// Pod networking across hosts: `k8ts server` in the root namespace and three `k8ts agent`s, each in
// a network namespace of its own (a "host" on the test bridge), joined with a bootstrap token and
// without --pod-cidr. Node IPAM gives each node a subnet; the agents route to each other's pods
// (host-gw); a pod reaches a pod on another node by its IP and through a Service, keeping its own
// source address; a NodePort answers on every node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHosts, runCommand, type TestHost } from '../helpers/hosts.js';
import { K8TS_BIN, startK8tsServer, tempDir } from '../helpers/cli.js';
import { run, eventually } from '../helpers/cluster.js';
import { installStandInImages } from '../helpers/images.js';

const root = process.getuid?.() === 0;

interface PodInfo {
  name: string;
  node: string;
  ip: string;
}

test('pods reach each other across hosts by IP and through Services, unmasqueraded', { skip: !root && 'needs root for network namespaces and the process runtime' }, async (t) => {
  const net = await createHosts(t, ['node-a', 'node-b', 'node-c']);
  const dir = tempDir(t, 'k8ts-multi-host-');
  // A cluster CIDR apart from the pod subnets other tests use (10.200.0.0/13 and up).
  const clusterCidr = `10.${16 + Math.floor(Math.random() * 64)}.0.0/16`;
  const serverDir = join(dir, 'server');
  const server = await startK8tsServer(t, ['--address', net.gateway, '--store', 'memory', '--data-dir', serverDir, '--write-kubeconfig=false', '--cluster-cidr', clusterCidr]);
  t.after(() => server.stop());
  const kubeconfig = join(serverDir, 'kubeconfig');
  const kubectl = async (args: string[]) => {
    const r = await run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  const created = await runCommand(process.execPath, [K8TS_BIN, 'token', 'create', '--data-dir', serverDir, '--print-join-command']);
  assert.equal(created.code, 0, created.stderr);
  const joinArgs = created.stdout.trim().split(' ').slice(1);

  const agentLogs = new Map<string, () => string>();
  const agents = new Map<string, ReturnType<TestHost['spawn']>>();
  const startAgent = async (host: TestHost) => {
    const agentDir = join(dir, host.name);
    await installStandInImages({ dataDir: agentDir }, ['busybox']);
    const child = host.spawn(process.execPath, [K8TS_BIN, ...joinArgs, '--node-name', host.name, '--address', host.address, '--port', '0', '--data-dir', agentDir]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    agentLogs.set(host.name, () => out);
    agents.set(host.name, child);
  };
  await Promise.all(net.hosts.map(startAgent));
  const logs = () => [...agentLogs].map(([name, out]) => `--- ${name}\n${out()}`).join('\n');

  // Every node Ready, each with its own subnet of the cluster CIDR.
  const nodes = await eventually(async () => {
    const list = JSON.parse(await kubectl(['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { podCIDR?: string }; status: { conditions?: { type: string; status: string }[] } }[] };
    const ready = list.items.filter((n) => n.spec.podCIDR && n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 3 ? ready : undefined;
  }, 90_000).catch((err: Error) => assert.fail(`${err.message}\n${logs()}`));
  const cidrs = nodes.map((n) => n.spec.podCIDR!);
  assert.equal(new Set(cidrs).size, 3, `distinct pod CIDRs: ${cidrs.join(', ')}`);
  const prefix = clusterCidr.split('.').slice(0, 2).join('.') + '.';
  for (const c of cidrs) assert.ok(c.startsWith(prefix) && c.endsWith('/24'), `${c} in ${clusterCidr}`);

  // One web server per node (topology spread), each answering with its name and logging clients.
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }],
          containers: [
            {
              name: 'httpd',
              image: 'busybox',
              command: ['sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -vv -p 8080 -h /tmp/www'],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  };
  const applied = await run('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [manifest, service] }) });
  assert.equal(applied.code, 0, applied.stderr);

  const pods = await eventually(async () => {
    const list = JSON.parse(await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
      items: { metadata: { name: string }; spec: { nodeName?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
    };
    const ready = list.items.filter((p) => p.status.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === 3 ? ready.map((p): PodInfo => ({ name: p.metadata.name, node: p.spec.nodeName!, ip: p.status.podIP! })) : undefined;
  }, 90_000).catch(async (err: Error) => {
    const state = await run('kubectl', ['--kubeconfig', kubeconfig, 'describe', 'pods', '-l', 'app=web']);
    assert.fail(`${err.message}\n${state.stdout}${state.stderr}\n${logs()}`);
  });
  assert.deepEqual(pods.map((p) => p.node).sort(), ['node-a', 'node-b', 'node-c'], 'one replica per node');
  for (const p of pods) {
    const cidr = nodes.find((n) => n.metadata.name === p.node)!.spec.podCIDR!;
    assert.ok(p.ip.startsWith(cidr.split('.').slice(0, 3).join('.') + '.'), `${p.name} on ${p.node} has ${p.ip} from ${cidr}`);
  }
  const [a, b, c] = ['node-a', 'node-b', 'node-c'].map((n) => pods.find((p) => p.node === n)!) as [PodInfo, PodInfo, PodInfo];
  /** httpd's log line of a request from `ip` (IPv4 clients are logged as IPv4-mapped IPv6). */
  const requestFrom = (ip: string) => new RegExp(`^\\[?(?:::ffff:)?${ip.replace(/\./g, '\\.')}\\]?:\\d+: url:/`, 'm');
  const fetchFrom = async (pod: PodInfo, url: string) => {
    const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'exec', pod.name, '--', 'timeout', '5', 'wget', '-qO-', url]);
    return r.code === 0 ? r.stdout.trim() : `failed (${r.code}): ${r.stderr.trim()}`;
  };

  // By pod IP, across nodes, in both directions.
  assert.equal(await fetchFrom(a, `http://${b.ip}:8080/`), b.name);
  assert.equal(await fetchFrom(c, `http://${a.ip}:8080/`), a.name);

  // The server saw the client pod's own address, not its node's.
  const serverLog = await kubectl(['logs', b.name]);
  assert.match(serverLog, requestFrom(a.ip), `httpd on ${b.node} logged:\n${serverLog}`);
  const hosts = net.hosts.map((h) => h.address);
  for (const h of hosts) assert.doesNotMatch(serverLog, requestFrom(h), 'no node address as a client');

  // Through the Service's ClusterIP from node-a: the other nodes' replicas answer too.
  const svc = JSON.parse(await kubectl(['get', 'service', 'web', '-o', 'json'])) as { spec: { clusterIP: string; ports: { nodePort: number }[] } };
  const answered = new Set<string>();
  for (let i = 0; i < 40 && !(answered.has(b.name) && answered.has(c.name)); i++) answered.add(await fetchFrom(a, `http://${svc.spec.clusterIP}/`));
  assert.ok(answered.has(b.name) && answered.has(c.name), `answers through ${svc.spec.clusterIP}: ${[...answered].join(', ')}`);
  assert.match(await kubectl(['logs', c.name]), requestFrom(a.ip), 'a Service connection keeps the client pod address');

  // A NodePort on any node, from another host: every replica is reachable through it.
  const nodePort = svc.spec.ports[0]!.nodePort;
  const fromHost = net.host('node-c');
  const viaNodePort = new Set<string>();
  for (let i = 0; i < 40 && viaNodePort.size < 3; i++) {
    const r = await fromHost.exec('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${net.host('node-a').address}:${nodePort}/`]);
    if (r.code === 0) viaNodePort.add(r.stdout.trim());
  }
  assert.deepEqual([...viaNodePort].sort(), [a.name, b.name, c.name].sort(), `answers through node-a:${nodePort}`);

  // Traffic policies. internalTrafficPolicy Local: a pod's ClusterIP connections stay on its node.
  await kubectl(['label', 'pod', b.name, 'only=b']);
  const policies = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-local' }, spec: { selector: { app: 'web' }, internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'only-b' }, spec: { selector: { app: 'web', only: 'b' }, internalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-ext' }, spec: { type: 'NodePort', selector: { app: 'web' }, externalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080 }] } },
  ];
  const appliedPolicies = await run('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: policies }) });
  assert.equal(appliedPolicies.code, 0, appliedPolicies.stderr);
  const ipOf = async (name: string) => (JSON.parse(await kubectl(['get', 'service', name, '-o', 'json'])) as { spec: { clusterIP: string; ports: { nodePort?: number }[] } }).spec;
  /** Waits until a host's proxy has programmed a rule mentioning `text`. */
  const programmed = (host: string, table: string, text: string) =>
    eventually(async () => (await net.host(host).exec('iptables-save', ['-t', table])).stdout.includes(text), 10_000);
  await programmed('node-a', 'nat', 'default/web-local:/tcp');
  await programmed('node-a', 'filter', 'default/only-b:/tcp has no local endpoints');
  await programmed('node-b', 'nat', 'default/web-ext:/tcp');
  const local = await ipOf('web-local');
  await eventually(async () => (await fetchFrom(b, `http://${local.clusterIP}/`)) === b.name, 10_000);
  for (let i = 0; i < 8; i++) assert.equal(await fetchFrom(a, `http://${local.clusterIP}/`), a.name, 'only node-a’s replica serves node-a’s pods');
  const onlyB = await ipOf('only-b');
  await eventually(async () => (await fetchFrom(b, `http://${onlyB.clusterIP}/`)) === b.name, 10_000);
  assert.match(await fetchFrom(a, `http://${onlyB.clusterIP}/`), /^failed/, 'no local endpoint on node-a: dropped');

  // externalTrafficPolicy Local: another host's NodePort connection reaches only that node's
  // replica, which sees the client host's own address.
  const ext = await ipOf('web-ext');
  const extPort = ext.ports[0]!.nodePort!;
  const hostC = net.host('node-c');
  const viaExt = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const r = await hostC.exec('timeout', ['5', 'busybox', 'wget', '-qO-', `http://${net.host('node-b').address}:${extPort}/`]);
    viaExt.add(r.code === 0 ? r.stdout.trim() : `failed: ${r.stderr.trim()}`);
  }
  assert.deepEqual([...viaExt], [b.name], `answers through node-b:${extPort}`);
  assert.match(await kubectl(['logs', b.name]), requestFrom(hostC.address), 'the client host address is kept');

  // The routes: each host has one to every other node's subnet via that node; a deleted Node's goes.
  const routesOf = async (h: TestHost) => (await h.exec('ip', ['-4', 'route', 'show', 'proto', '191'])).stdout;
  const routesA = await routesOf(net.host('node-a'));
  for (const n of nodes.filter((x) => x.metadata.name !== 'node-a')) {
    const via = net.host(n.metadata.name).address;
    assert.match(routesA, new RegExp(`^${n.spec.podCIDR!.replace(/\./g, '\\.')} via ${via.replace(/\./g, '\\.')} dev eth0`, 'm'), routesA);
  }
  assert.equal(routesA.trim().split('\n').length, 2, routesA);

  const cidrOfC = nodes.find((n) => n.metadata.name === 'node-c')!.spec.podCIDR!;
  await kubectl(['delete', 'node', 'node-c']);
  await eventually(async () => !(await routesOf(net.host('node-a'))).includes(cidrOfC), 10_000);

  // A stopped agent leaves no route, rule or bridge behind on its host.
  const agentB = agents.get('node-b')!;
  const exited = new Promise<number | null>((resolve) => agentB.once('exit', (code) => resolve(code)));
  agentB.kill('SIGTERM');
  assert.equal(await exited, 0, logs());
  assert.equal((await routesOf(net.host('node-b'))).trim(), '');
  const rules = await net.host('node-b').exec('iptables-save', []);
  assert.doesNotMatch(rules.stdout, /K8TS-/, 'no k8ts chains left');
  const links = await net.host('node-b').exec('ip', ['-o', 'link']);
  assert.doesNotMatch(links.stdout, /k8ts-/, 'no pod bridge left');
});
