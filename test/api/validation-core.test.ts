import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources, groupVersion } from '../../src/api/resources.js';
import { rulesFor } from '../../src/api/rules.js';
import { validateScale } from '../../src/api/validation/apps.js';
import { validateTokenRequest } from '../../src/api/validation/core.js';
import type { KubeObject } from '../../src/api/types.js';

type Obj = KubeObject & Record<string, any>;

function make(apiVersion: string, kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = {}): Obj {
  const obj: Obj = { apiVersion, kind, metadata: { name: 'x', namespace: 'default', resourceVersion: '1', ...meta }, ...structuredClone(body) };
  rulesFor(apiVersion, kind).defaults(obj);
  return obj;
}
const validate = (o: Obj) => rulesFor(o.apiVersion!, o.kind!).validate(o).map(String);
const validateUpdate = (o: Obj, old: Obj) => rulesFor(o.apiVersion!, o.kind!).validateUpdate(o, old).map(String);

const DNS_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('Namespace', () => {
  const ns = (name: string, meta: Record<string, unknown> = {}) => make('v1', 'Namespace', {}, { name, namespace: undefined, ...meta });
  test('names are DNS labels and the kind is cluster-scoped', () => {
    assert.deepEqual(validate(ns('team-a')), []);
    assert.deepEqual(validate(ns('team.a')), [`metadata.name: Invalid value: "team.a": ${DNS_LABEL_MSG}`]);
    assert.deepEqual(validate(ns('a'.repeat(64))), [
      `metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
      `metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`,
    ]);
    assert.deepEqual(validate(ns('a', { namespace: 'default' })), ['metadata.namespace: Forbidden: not allowed on this type']);
  });
  test('status phase follows deletion', () => {
    const old = ns('a');
    const next = structuredClone(old);
    next.status = { phase: 'Terminating' };
    assert.deepEqual(rulesFor('v1', 'Namespace').validateStatusUpdate(next, old).map(String), [
      'status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
    ]);
  });
});

describe('Service', () => {
  const svc = (spec: Record<string, unknown>, name = 'web') => make('v1', 'Service', { spec }, { name });
  test('a defaulted service is valid', () => {
    assert.deepEqual(validate(svc({ selector: { app: 'a' }, ports: [{ port: 80 }] })), []);
    assert.deepEqual(validate(svc({ clusterIP: 'None', selector: { app: 'a' } })), []);
    assert.deepEqual(validate(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), []);
  });

  const cases: [string, Record<string, unknown>, string[], string?][] = [
    [
      'name is a DNS-1035 label',
      { ports: [{ port: 80 }] },
      [
        `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ],
      '1web',
    ],
    ['ports required', {}, ['spec.ports: Required value']],
    ['several ports need names', { ports: [{ port: 80 }, { port: 81 }] }, ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
    [
      'port number',
      { ports: [{ port: 0 }] },
      ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    [
      'duplicate port',
      { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] },
      [
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    ],
    ['nodePort on ClusterIP', { ports: [{ port: 80, nodePort: 30000 }] }, ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    [
      'unknown type',
      { type: 'Bogus', ports: [{ port: 80 }] },
      ['spec.type: Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ],
    ['ExternalName needs a name', { type: 'ExternalName' }, ['spec.externalName: Required value']],
    [
      'health check port only for local load balancers',
      { ports: [{ port: 80 }], healthCheckNodePort: 30001, loadBalancerClass: 'x' },
      [
        "spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'",
      ],
    ],
    ['local load balancers need a health check port', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }, ['spec.healthCheckNodePort: Required value']],
    [
      'protocol',
      { ports: [{ port: 80, protocol: 'HTTP' }] },
      ['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
    ],
    [
      'clusterIP must be an IP',
      { clusterIP: '10.0.0.300', ports: [{ port: 80 }] },
      ['spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    ],
  ];
  for (const [name, spec, expected, objName] of cases) test(name, () => assert.deepEqual(validate(svc(spec, objName)), expected));

  test('the cluster IP may not change once set', () => {
    const old = svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
    const next = svc({ clusterIP: '10.96.0.11', ports: [{ port: 80 }] });
    assert.deepEqual(validateUpdate(next, old), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
    assert.deepEqual(validateUpdate(svc({ clusterIP: '10.96.0.10', ports: [{ port: 8080 }] }), old), []);
  });
});

describe('ConfigMap and Secret', () => {
  test('data keys', () => {
    assert.deepEqual(validate(make('v1', 'ConfigMap', { data: { 'a b': '1', ok: '2', '..x': '3' } })), [
      `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..x]: Invalid value: "..x": must not start with '..'`,
    ]);
    assert.deepEqual(validate(make('v1', 'ConfigMap', { data: { a: '1' }, binaryData: { a: 'AA==' } })), [
      'data[a]: Invalid value: "a": duplicate of key present in binaryData',
    ]);
  });
  test('size limit', () => {
    const big = 'x'.repeat(1024 * 1024 + 1);
    assert.deepEqual(validate(make('v1', 'ConfigMap', { data: { big } })), ['Too long: must have at most 1048576 bytes']);
    const secretData = Buffer.alloc(1024 * 1024 + 1).toString('base64');
    assert.deepEqual(validate(make('v1', 'Secret', { data: { big: secretData } })), ['data: Too long: must have at most 1048576 bytes']);
  });
  test('immutable objects keep their data', () => {
    const old = make('v1', 'ConfigMap', { data: { a: '1' }, immutable: true });
    const next = make('v1', 'ConfigMap', { data: { a: '2' }, immutable: true });
    assert.deepEqual(validateUpdate(next, old), ['data: Forbidden: field is immutable when `immutable` is set']);
  });
  test('secret types', () => {
    const old = make('v1', 'Secret', { data: {} });
    const tls = make('v1', 'Secret', { type: 'kubernetes.io/tls', data: {} });
    assert.deepEqual(validate(tls), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
    assert.deepEqual(validateUpdate(tls, old), [
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
    const docker = make('v1', 'Secret', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') } });
    assert.deepEqual(validate(docker), []);
  });
});

describe('Node', () => {
  const node = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    make('v1', 'Node', { spec, status }, { name: 'n1', namespace: undefined });
  test('taints and resources', () => {
    assert.deepEqual(validate(node({}, { capacity: { cpu: '2', memory: '4Gi', pods: '110' } })), []);
    assert.deepEqual(
      validate(
        node({
          taints: [
            { key: 'k', effect: 'NoSchedule' },
            { key: 'k', effect: 'NoSchedule', value: 'v' },
            { key: 'j', effect: 'Sometimes' },
          ],
        }),
      ),
      [
        'metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"v", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
        'metadata.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    );
    assert.deepEqual(validate(node({}, { capacity: { cpu: '-1', pods: '1.5' } })), [
      'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
      'status.capacity.pods: Invalid value: "1500m": must be an integer',
      'status.allocatable.cpu: Invalid value: "-1": must be greater than or equal to 0',
      'status.allocatable.pods: Invalid value: "1500m": must be an integer',
    ]);
  });
  test('podCIDRs and providerID are set once', () => {
    const old = node({ podCIDRs: ['10.244.0.0/24'], providerID: 'k8ts://n1' });
    const next = node({ podCIDRs: ['10.244.1.0/24'], providerID: 'k8ts://n2', unschedulable: true });
    assert.deepEqual(validateUpdate(next, old), [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    ]);
    assert.deepEqual(validateUpdate(node({ podCIDRs: ['10.244.0.0/24'] }), node({})), []);
  });
});

describe('Lease, EndpointSlice, PodDisruptionBudget, ServiceAccount, Endpoints', () => {
  test('Lease', () => {
    assert.deepEqual(validate(make('coordination.k8s.io/v1', 'Lease', { spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } })), []);
    assert.deepEqual(validate(make('coordination.k8s.io/v1', 'Lease', { spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })), [
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
  test('EndpointSlice', () => {
    const ok = make('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
    assert.deepEqual(validate(ok), []);
    const bad = make('discovery.k8s.io/v1', 'EndpointSlice', { endpoints: [{ addresses: [] }, { addresses: ['300.1.1.1'] }] });
    assert.deepEqual(validate(bad), ['addressType: Required value', 'endpoints[0].addresses: Required value: must contain at least 1 address']);
    const v4 = make('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv4', endpoints: [{ addresses: ['300.1.1.1'] }] });
    assert.deepEqual(validate(v4), ['endpoints[0].addresses[0]: Invalid value: "300.1.1.1": must be a valid IPv4 address']);
    assert.deepEqual(validateUpdate(make('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv6' }), make('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv4' })), [
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });
  test('PodDisruptionBudget', () => {
    assert.deepEqual(validate(make('policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: '50%', selector: { matchLabels: { app: 'a' } } } })), []);
    assert.deepEqual(validate(make('policy/v1', 'PodDisruptionBudget', { spec: { maxUnavailable: '150%' } })), [
      'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]);
  });
  test('ServiceAccount and Endpoints', () => {
    assert.deepEqual(validate(make('v1', 'ServiceAccount', {}, { name: 'Build' })).length, 1);
    assert.deepEqual(validate(make('v1', 'Endpoints', { subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }] }] })), [
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]);
    assert.deepEqual(validate(make('v1', 'Endpoints', { subsets: [{ ports: [{ port: 80 }] }] })), [
      'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`',
    ]);
  });
});

describe('Events', () => {
  test('core/v1 events must agree on the namespace', () => {
    const ev = make('v1', 'Event', { involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'Started' });
    assert.deepEqual(validate(ev), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    const ok = make('v1', 'Event', { involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started' }, { name: 'p.17a2b3c4d5e6f789' });
    assert.deepEqual(validate(ok), []);
    const slashed = make('v1', 'Event', { involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' } }, { name: 'a/b%c' });
    assert.deepEqual(validate(slashed), ["metadata.name: Invalid value: \"a/b%c\": may not contain '/'", "metadata.name: Invalid value: \"a/b%c\": may not contain '%'"]);
  });
  test('events.k8s.io/v1 events are validated strictly', () => {
    const ev = make('events.k8s.io/v1', 'Event', { regarding: { kind: 'Pod', name: 'p', namespace: 'default' }, type: 'Info', deprecatedCount: 3 });
    assert.deepEqual(validate(ev), ['eventTime: Required value', 'type: Invalid value: "": has invalid value: Info', 'count: Invalid value: "": needs to be unset']);
    const full = make('events.k8s.io/v1', 'Event', {
      regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
      eventTime: '2024-01-01T00:00:00.000000Z',
      reportingController: 'k8ts.io/kubelet',
      reportingInstance: 'node-1',
      action: 'Started',
      reason: 'Started',
      type: 'Normal',
    });
    assert.deepEqual(validate(full), []);
    const changed = structuredClone(full);
    changed.reason = 'Killing';
    assert.deepEqual(validateUpdate(changed, full), ['reason: Invalid value: "Killing": field is immutable']);
  });
});

describe('kinds without their own rules', () => {
  test('get the registry metadata checks', () => {
    const obj = make('example.com/v1', 'Widget', {}, { name: 'a/b' });
    assert.deepEqual(validate(obj), ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]);
    const old = make('example.com/v1', 'Widget', {}, { uid: 'u1' });
    const next = make('example.com/v1', 'Widget', {}, { uid: 'u2' });
    assert.deepEqual(validateUpdate(next, old), ['metadata.uid: Invalid value: "u2": field is immutable']);
  });
});

describe('subresource bodies', () => {
  test('Scale and TokenRequest', () => {
    const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: -1 } };
    assert.deepEqual(validateScale(scale).map(String), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
    assert.deepEqual(validateScale({ ...scale, spec: { replicas: 3 } }).map(String), []);
    const token = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 60 } };
    assert.deepEqual(validateTokenRequest(token).map(String), ['spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes']);
    assert.deepEqual(validateTokenRequest({ ...token, spec: { expirationSeconds: 3600 } }).map(String), []);
  });
});

describe('every served kind', () => {
  test('has rules that check names beyond the generic path-segment rule (but Events and CSRs)', () => {
    for (const r of resources) {
      const rules = rulesFor(groupVersion(r), r.kind);
      const obj: Obj = { apiVersion: groupVersion(r), kind: r.kind, metadata: { name: 'Bad_Name', ...(r.namespaced ? { namespace: 'default' } : {}) } };
      rules.defaults(obj);
      const errs = rules.validate(obj).map(String);
      // Events and CertificateSigningRequests take any name that is a path segment, as upstream's.
      const expectsStrictName = !(r.group === '' && r.kind === 'Event') && r.kind !== 'CertificateSigningRequest';
      assert.equal(errs.some((e) => e.startsWith('metadata.name: Invalid value: "Bad_Name"')), expectsStrictName, `${r.kind}: ${errs.join('; ')}`);
    }
  });
});
