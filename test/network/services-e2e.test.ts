// Services end to end on real processes: pods in their own network namespaces, the Endpoints and
// EndpointSlice controllers, cluster DNS behind the kube-dns Service, and the iptables proxy —
// through the real kubectl. A client pod resolves and fetches a Service; ClusterIP and NodePort
// work from the node; a pod failing readiness gets no new connections; the `kubernetes` Service
// reaches the API server; stopping the cluster leaves no rule behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { eventually, run } from '../helpers/cluster.js';
import { networkCluster } from './network-support.js';
import { proxyChains } from '../../src/network/proxy/index.js';
import { clusterIdOf } from '../../src/agent/process-node.js';
import { clusterDnsIP } from '../../src/network/dns/index.js';

const manifests = `
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
---
${['a', 'b']
  .map(
    (n) => `apiVersion: v1
kind: Pod
metadata:
  name: web-${n}
  labels:
    app: web
spec:
  containers:
  - name: httpd
    image: busybox
    command: ["sh", "-c", "mkdir -p /tmp/www-$(hostname) && echo web-${n} > /tmp/www-$(hostname)/index.html && echo ok > /tmp/www-$(hostname)/ready && exec httpd -f -p 8080 -h /tmp/www-$(hostname)"]
    ports:
    - name: http
      containerPort: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080
      periodSeconds: 1
      failureThreshold: 1
`,
  )
  .join('---\n')}---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
`;

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('Services on real processes: DNS, ClusterIP from pods and the node, NodePort, readiness, the kubernetes Service', async (t) => {
  const k = await networkCluster(t);
  const chains = proxyChains(clusterIdOf(k.dataDir));
  const applied = await k.kubectl(['apply', '-f', '-'], { stdin: manifests });
  assert.equal(applied.code, 0, applied.stderr);

  await eventually(async () => {
    const r = await k.kubectl(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']);
    return ['web-a=True', 'web-b=True', 'client=True'].every((s) => r.stdout.includes(s));
  }, 60_000);

  const svc = JSON.parse((await k.kubectl(['get', 'service', 'web', '-o', 'json'])).stdout);
  const clusterIP: string = svc.spec.clusterIP;
  const nodePort: number = svc.spec.ports[0].nodePort;

  // The controllers' view, as kubectl prints it: both pods' addresses on the named target port.
  const ep = await eventually(async () => {
    const r = await k.kubectl(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}:{.subsets[*].ports[*].port}']);
    return r.stdout.split(':')[0]!.split(' ').length === 2 && r.stdout;
  });
  assert.match(ep, /:8080$/);

  // The pods' resolver is the kube-dns Service.
  const resolv = await k.kubectl(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
  assert.equal(resolv.code, 0, resolv.stderr);
  assert.match(resolv.stdout, new RegExp(`^nameserver ${clusterDnsIP(k.serviceCidr).replace(/\./g, '\\.')}$`, 'm'));
  assert.match(resolv.stdout, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local$/m);

  const lookup = await eventually(async () => {
    const r = await k.kubectl(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local']);
    return r.code === 0 && r.stdout;
  });
  assert.ok(lookup.includes(clusterIP), lookup);

  // From a pod, by short name (search list), through the ClusterIP: both endpoints answer.
  const seen = new Set<string>();
  await eventually(async () => {
    const r = await k.kubectl(['exec', 'client', '--', 'timeout', '5', 'wget', '-qO-', 'http://web']);
    if (r.code === 0) seen.add(r.stdout.trim());
    return seen.has('web-a') && seen.has('web-b');
  }, 60_000);

  // From the node: the ClusterIP and the NodePort on loopback.
  assert.match(await fetchText(`http://${clusterIP}/`), /^web-[ab]$/m);
  assert.match(await fetchText(`http://127.0.0.1:${nodePort}/`), /^web-[ab]$/m);

  // ClientIP affinity: every new connection from the node goes to one endpoint; back to random after.
  const patched = await k.kubectl(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}']);
  assert.equal(patched.code, 0, patched.stderr);
  await eventually(async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetchText(`http://${clusterIP}/`)));
    const again = [];
    for (let i = 0; i < 12; i++) again.push(await fetchText(`http://${clusterIP}/`));
    return new Set([...answers, ...again].map((a) => a.trim())).size === 1;
  }, 10_000);
  await k.kubectl(['patch', 'service', 'web', '-p', '{"spec":{"sessionAffinity":"None"}}']);
  await eventually(async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 16; i++) answers.add((await fetchText(`http://${clusterIP}/`)).trim());
    return answers.size === 2;
  }, 10_000);

  // web-a fails readiness: its endpoint goes, and new connections all reach web-b.
  const failed = await k.kubectl(['exec', 'web-a', '--', 'sh', '-c', 'rm /tmp/www-$(hostname)/ready']);
  assert.equal(failed.code, 0, failed.stderr);
  await eventually(async () => {
    const r = await k.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].targetRef.name}']);
    return r.stdout.trim() === 'web-b';
  }, 30_000);
  await eventually(async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => fetchText(`http://${clusterIP}/`)));
    return answers.every((a) => a.trim() === 'web-b');
  }, 10_000);
  for (let i = 0; i < 8; i++) {
    const r = await k.kubectl(['exec', 'client', '--', 'timeout', '5', 'wget', '-qO-', `http://${clusterIP}`]);
    assert.equal(r.stdout.trim(), 'web-b', r.stderr);
  }

  // The kubernetes Service reaches the API server, with the service account's credentials.
  const script =
    "const fs=require('fs');const d='/var/run/secrets/kubernetes.io/serviceaccount/';" +
    "require('https').get({host:process.env.KUBERNETES_SERVICE_HOST,port:process.env.KUBERNETES_SERVICE_PORT,path:'/version',ca:fs.readFileSync(d+'ca.crt'),headers:{authorization:'Bearer '+fs.readFileSync(d+'token','utf8')}}," +
    "(r)=>{let b='';r.on('data',(c)=>b+=c);r.on('end',()=>{console.log(r.statusCode,JSON.parse(b).gitVersion)})}).on('error',(e)=>{console.error(e.message);process.exit(1)})";
  const api = await k.kubectl(['exec', 'client', '--', 'node', '-e', script]);
  assert.equal(api.code, 0, api.stderr);
  assert.match(api.stdout, /^200 v1\.33\./);
  // And by name, through cluster DNS.
  const byName = await k.kubectl(['exec', 'client', '--', 'node', '-e', script.replace('process.env.KUBERNETES_SERVICE_HOST', "'kubernetes.default.svc.cluster.local'").replace('process.env.KUBERNETES_SERVICE_PORT', '443')]);
  assert.equal(byName.code, 0, byName.stderr);
  assert.match(byName.stdout, /^200 v1\.33\./);

  // A Service without endpoints refuses at once instead of hanging.
  await k.kubectl(['create', 'service', 'clusterip', 'nobody', '--tcp=80:80']);
  const nobodyIP = (await k.kubectl(['get', 'service', 'nobody', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  await eventually(async () => {
    const err = await fetchText(`http://${nobodyIP}/`).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    return err?.code === 'ECONNREFUSED';
  }, 10_000);

  // Every chain goes with the cluster.
  const before = (await run('iptables-save', [])).stdout;
  assert.ok(before.includes(chains.services) && before.includes(chains.servicePrefix));
  await k.stop();
  const after = (await run('iptables-save', [])).stdout;
  for (const name of [chains.services, chains.nodePorts, chains.postrouting, chains.servicePrefix, chains.endpointPrefix, chains.forward, chains.rejectServices]) {
    assert.ok(!after.includes(name), `${name} left behind`);
  }
});
