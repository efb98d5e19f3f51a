// The proxy's plan (endpoints chosen from slices) and the iptables-restore text it renders.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planService, type EndpointSliceLike } from '../../src/network/proxy/plan.js';
import { renderRules } from '../../src/network/proxy/rules.js';
import { proxyChains, servicePortChain } from '../../src/network/proxy/names.js';
import type { Service } from '../../src/controllers/services.js';

const service = (spec: Service['spec'], name = 'web'): Service => ({ metadata: { name, namespace: 'default' }, spec });
const slice = (endpoints: EndpointSliceLike['endpoints'], ports: EndpointSliceLike['ports'] = [{ name: 'http', port: 8080, protocol: 'TCP' }]): EndpointSliceLike => ({
  metadata: { name: 's', namespace: 'default' },
  addressType: 'IPv4',
  endpoints,
  ports,
});

test('ready endpoints are used; serving terminating ones only when none is ready', () => {
  const svc = service({ clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  const [plan] = planService(svc, [
    slice([
      { addresses: ['10.1.0.3'], conditions: { ready: true } },
      { addresses: ['10.1.0.2'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.1.0.4'], conditions: { ready: false, serving: false } },
    ]),
  ]);
  assert.deepEqual(plan!.endpoints, [{ ip: '10.1.0.3', port: 8080 }]);
  const [fallback] = planService(svc, [slice([{ addresses: ['10.1.0.2'], conditions: { ready: false, serving: true, terminating: true } }])]);
  assert.deepEqual(fallback!.endpoints, [{ ip: '10.1.0.2', port: 8080 }]);
  // Ports are matched by name and protocol.
  const [udp] = planService(svc, [slice([{ addresses: ['10.1.0.3'] }], [{ name: 'http', port: 53, protocol: 'UDP' }])]);
  assert.deepEqual(udp!.endpoints, []);
});

test('headless and ExternalName Services are not proxied; NodePorts only for NodePort and LoadBalancer', () => {
  assert.deepEqual(planService(service({ clusterIP: 'None', ports: [{ port: 80 }] }), []), []);
  assert.deepEqual(planService(service({ type: 'ExternalName', externalName: 'x.example' }), []), []);
  const [cip] = planService(service({ type: 'ClusterIP', clusterIP: '10.0.0.1', ports: [{ port: 80, nodePort: 30001 }] }), []);
  assert.equal(cip!.nodePort, undefined);
  const [np] = planService(service({ type: 'NodePort', clusterIP: '10.0.0.1', ports: [{ port: 80, nodePort: 30001 }] }), []);
  assert.equal(np!.nodePort, 30001);
});

test('rules: dispatch with per-endpoint probabilities, hairpin masquerade, REJECT without endpoints, stale chains deleted', () => {
  const chains = proxyChains('test-cluster');
  const [web] = planService(service({ type: 'NodePort', clusterIP: '10.0.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [
    slice([{ addresses: ['10.1.0.2'] }, { addresses: ['10.1.0.3'] }, { addresses: ['10.1.0.4'] }]),
  ]);
  const [empty] = planService(service({ clusterIP: '10.0.0.11', ports: [{ port: 81, protocol: 'UDP' }] }, 'empty'), []);
  const stale = `${chains.servicePrefix}0123456789abcdef`;
  const { text, chains: owned } = renderRules(chains, [web!, empty!], [stale], { podCIDR: '10.1.0.0/24' });
  const svcChain = servicePortChain(chains, web!.key);
  const lines = text.split('\n');
  assert.ok(lines.includes(`-A ${chains.services} -m comment --comment "default/web:http/tcp" -d 10.0.0.10/32 -p tcp -m tcp --dport 80 ! -s 10.1.0.0/24 -j ${chains.markMasquerade}`));
  assert.ok(lines.includes(`-A ${chains.services} -m comment --comment "default/web:http/tcp" -d 10.0.0.10/32 -p tcp -m tcp --dport 80 -j ${svcChain}`));
  assert.ok(lines.includes(`-A ${chains.nodePorts} -m comment --comment "default/web:http/tcp" -p tcp -m tcp --dport 30080 -j ${svcChain}`));
  const picks = lines.filter((l) => l.startsWith(`-A ${svcChain} `));
  assert.equal(picks.length, 3);
  assert.match(picks[0]!, /--probability 0\.3333333333 /);
  assert.match(picks[1]!, /--probability 0\.5000000000 /);
  assert.doesNotMatch(picks[2]!, /statistic/);
  assert.ok(lines.some((l) => l.endsWith('-s 10.1.0.2/32 -j ' + chains.markMasquerade)));
  assert.ok(lines.some((l) => l.endsWith('-p tcp -m tcp -j DNAT --to-destination 10.1.0.4:8080')));
  assert.ok(lines.includes(`-A ${chains.rejectServices} -m comment --comment "default/empty:/udp" -d 10.0.0.11/32 -p udp -m udp --dport 81 -j REJECT --reject-with icmp-port-unreachable`));
  // Node ports are dispatched after every ClusterIP.
  const last = lines.filter((l) => l.startsWith(`-A ${chains.services} `)).at(-1);
  assert.match(last!, /--dst-type LOCAL -j K8TS-NP-/);
  assert.ok(lines.includes(`:${stale} - [0:0]`) && lines.includes(`-X ${stale}`));
  assert.equal(owned.size, 4);
  assert.ok(!owned.has(stale));
  for (const name of owned) assert.ok(name.length <= 28, name);
});

test('ClientIP session affinity: a recent client goes back to its endpoint', () => {
  const chains = proxyChains('test-cluster');
  const [plan] = planService(
    service({ clusterIP: '10.0.0.10', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ name: 'http', port: 80 }] }),
    [slice([{ addresses: ['10.1.0.2'] }, { addresses: ['10.1.0.3'] }])],
  );
  assert.equal(plan!.affinitySeconds, 60);
  const lines = renderRules(chains, [plan!], []).text.split('\n');
  const svcChain = servicePortChain(chains, plan!.key);
  const inSvc = lines.filter((l) => l.startsWith(`-A ${svcChain} `));
  assert.equal(inSvc.length, 4);
  assert.match(inSvc[0]!, /-m recent --name KE-\S+ --mask 255\.255\.255\.255 --rsource --rcheck --seconds 60 --reap -j KE-/);
  assert.ok(lines.some((l) => /-m recent --name (KE-\S+) --mask 255\.255\.255\.255 --rsource --set -p tcp -m tcp -j DNAT --to-destination 10\.1\.0\.2:8080$/.test(l)));
  const [none] = planService(service({ clusterIP: '10.0.0.10', sessionAffinity: 'None', ports: [{ name: 'http', port: 80 }] }), []);
  assert.equal(none!.affinitySeconds, undefined);
});
