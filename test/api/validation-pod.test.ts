import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '../../src/api/errors.js';
import { rulesFor } from '../../src/api/rules.js';
import type { Container, Pod, PodSpec } from '../../src/api/types.js';

const rules = rulesFor('v1', 'Pod');

function basePod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', resourceVersion: '1' },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
  };
}

/** Defaults a pod changed by `edit`, validates it for create and renders the errors. */
function createErrors(edit: (pod: Pod) => void): string[] {
  const pod = basePod();
  edit(pod);
  rules.defaults(pod);
  return rules.validate(pod).map(String);
}

const container = (c: Partial<Container> = {}): Container => ({ name: 'c', image: 'busybox:1.36', ...c });
const DNS_LABEL = (v: string) =>
  `Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;

describe('pod create validation', () => {
  test('a defaulted minimal pod is valid', () => {
    assert.deepEqual(createErrors(() => {}), []);
  });

  const cases: [string, (pod: Pod) => void, string[]][] = [
    [
      'name is not a DNS subdomain',
      (p) => (p.metadata.name = 'P_x'),
      [
        `metadata.name: Invalid value: "P_x": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
    ['name missing', (p) => delete p.metadata.name, ['metadata.name: Required value: name or generateName is required']],
    ['namespace missing', (p) => delete p.metadata.namespace, ['metadata.namespace: Required value']],
    [
      'bad label key',
      (p) => (p.metadata.labels = { '-bad': 'x' }),
      [
        `metadata.labels: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    ],
    [
      'bad label value',
      (p) => (p.metadata.labels = { app: 'a b' }),
      [
        `metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
    ['no containers', (p) => (p.spec.containers = []), ['spec.containers: Required value']],
    ['duplicate container names', (p) => p.spec.containers.push(container()), ['spec.containers[1].name: Duplicate value: "c"']],
    ['init container reuses a name', (p) => (p.spec.initContainers = [container()]), ['spec.initContainers[0].name: Duplicate value: "c"']],
    ['container name not a label', (p) => (p.spec.containers[0]!.name = 'Web'), [`spec.containers[0].name: ${DNS_LABEL('Web')}`]],
    ['image required', (p) => delete p.spec.containers[0]!.image, ['spec.containers[0].image: Required value']],
    [
      'image with whitespace',
      (p) => (p.spec.containers[0]!.image = ' busybox'),
      ['spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace'],
    ],
    [
      'liveness successThreshold',
      (p) => (p.spec.containers[0]!.livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }),
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'probe with two handlers',
      (p) => (p.spec.containers[0]!.readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } }),
      ['spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
    ],
    [
      'probe without handler',
      (p) => (p.spec.containers[0]!.livenessProbe = { periodSeconds: 3 }),
      ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    ],
    [
      'negative probe timing',
      (p) => (p.spec.containers[0]!.startupProbe = { tcpSocket: { port: 80 }, initialDelaySeconds: -1 }),
      ['spec.containers[0].startupProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0'],
    ],
    [
      'readiness terminationGracePeriodSeconds',
      (p) => (p.spec.containers[0]!.readinessProbe = { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 10 }),
      ['spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes'],
    ],
    [
      'liveness terminationGracePeriodSeconds 0',
      (p) => (p.spec.containers[0]!.livenessProbe = { tcpSocket: { port: 80 }, terminationGracePeriodSeconds: 0 }),
      ['spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0'],
    ],
    [
      'exec without command and bad http port name',
      (p) => {
        p.spec.containers[0]!.livenessProbe = { exec: {} };
        p.spec.containers[0]!.readinessProbe = { httpGet: { port: 'HTTP' } };
      },
      [
        'spec.containers[0].livenessProbe.exec.command: Required value',
        'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
    [
      'regular init container with probe and hook',
      (p) => (p.spec.initContainers = [container({ name: 'i', livenessProbe: { exec: { command: ['x'] } }, lifecycle: { postStart: { exec: { command: ['x'] } } } })]),
      [
        'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
        'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      ],
    ],
    [
      'sidecar probes are validated',
      (p) =>
        (p.spec.initContainers = [container({ name: 's', restartPolicy: 'Always', startupProbe: { exec: { command: ['x'] }, successThreshold: 3 } })]),
      ['spec.initContainers[0].startupProbe.successThreshold: Invalid value: 3: must be 1'],
    ],
    [
      'init container restartPolicy other than Always',
      (p) => (p.spec.initContainers = [container({ name: 'i', restartPolicy: 'OnFailure' as 'Always' })]),
      ['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    [
      'regular container restartPolicy',
      (p) => (p.spec.containers[0]!.restartPolicy = 'Always'),
      ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers'],
    ],
    [
      'pod restartPolicy',
      (p) => (p.spec.restartPolicy = 'Sometimes' as 'Always'),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'dnsPolicy',
      (p) => (p.spec.dnsPolicy = 'Bogus'),
      ['spec.dnsPolicy: Unsupported value: "Bogus": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    ],
    [
      'imagePullPolicy',
      (p) => (p.spec.containers[0]!.imagePullPolicy = 'Sometimes' as 'Always'),
      ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
    ],
    [
      'terminationMessagePolicy',
      (p) => (p.spec.containers[0]!.terminationMessagePolicy = 'Log' as 'File'),
      ['spec.containers[0].terminationMessagePolicy: Unsupported value: "Log": supported values: "File", "FallbackToLogsOnError"'],
    ],
    [
      'activeDeadlineSeconds',
      (p) => (p.spec.activeDeadlineSeconds = 0),
      ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    ],
    [
      'ports',
      (p) =>
        (p.spec.containers[0]!.ports = [
          { containerPort: 70000 },
          { containerPort: 80, protocol: 'ICMP' as 'TCP', name: 'web' },
          { containerPort: 81, name: 'web' },
        ]),
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[2].name: Duplicate value: "web"',
      ],
    ],
    [
      'port name too long',
      (p) => (p.spec.containers[0]!.ports = [{ containerPort: 80, name: 'a-very-long-port-name' }]),
      ['spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters'],
    ],
    [
      'duplicate hostPort across containers',
      (p) => {
        p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
        p.spec.containers.push(container({ name: 'd', ports: [{ containerPort: 81, hostPort: 8080 }] }));
      },
      ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
    ],
    [
      'hostNetwork hostPort must match',
      (p) => {
        p.spec.hostNetwork = true;
        p.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 81 }];
      },
      ['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true'],
    ],
    [
      'env names and sources',
      (p) =>
        (p.spec.containers[0]!.env = [
          { name: 'A=B', value: 'x' },
          { name: 'X', valueFrom: {} },
          { name: 'Y', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'Z', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
        ]),
      [
        `spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`,
        'spec.containers[0].env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
        'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Invalid value: "spec.bogus": error converting fieldPath: field label not supported: spec.bogus',
      ],
    ],
    [
      'env fieldRef outside the allowed set',
      (p) => (p.spec.containers[0]!.env = [{ name: 'P', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }]),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    ],
    [
      'volume sources',
      (p) =>
        (p.spec.volumes = [
          { name: 'two', emptyDir: {}, hostPath: { path: '/x' } },
          { name: 'h', hostPath: { path: '' } },
          { name: 'cm', configMap: {} },
          { name: 'Bad' },
          { name: 'h', emptyDir: {} },
          { name: 'h', emptyDir: {} },
          { name: 'mode', secret: { secretName: 's', defaultMode: 1024 } },
        ]),
      [
        'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
        'spec.volumes[1].hostPath.path: Required value',
        'spec.volumes[2].configMap.name: Required value',
        `spec.volumes[3].name: ${DNS_LABEL('Bad')}`,
        'spec.volumes[5].name: Duplicate value: "h"',
        'spec.volumes[6].secret.defaultMode: Invalid value: 1024: must be a number between 0 and 0777 (octal), both inclusive',
      ],
    ],
    [
      'volume mounts',
      (p) => {
        p.spec.volumes = [{ name: 'data', emptyDir: {} }];
        p.spec.containers[0]!.volumeMounts = [
          { name: 'missing', mountPath: '/m' },
          { name: 'data', mountPath: '/data' },
          { name: 'data', mountPath: '/data' },
          { name: 'data', mountPath: '' },
        ];
      },
      [
        'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/data": must be unique',
        'spec.containers[0].volumeMounts[3].mountPath: Required value',
      ],
    ],
    [
      'resources',
      (p) =>
        (p.spec.containers[0]!.resources = {
          limits: { cpu: '1', gpu: '1', memory: 'lots' },
          requests: { cpu: '2', memory: '1Gi' },
        }),
      [
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        `spec.containers[0].resources.limits[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      ],
    ],
    [
      'negative and extended resources',
      (p) => (p.spec.containers[0]!.resources = { requests: { cpu: '-1', 'example.com/gpu': '0.5' } }),
      [
        'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
        'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources',
      ],
    ],
    [
      'sleep hook longer than the grace period',
      (p) => (p.spec.containers[0]!.lifecycle = { preStop: { sleep: { seconds: 40 } } }),
      ['spec.containers[0].lifecycle.preStop.sleep: Invalid value: 40: must be non-negative and less than terminationGracePeriodSeconds (30)'],
    ],
    [
      'tolerations',
      (p) =>
        (p.spec.tolerations = [
          { key: 'k', operator: 'Exists', value: 'x' },
          { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 },
          { operator: 'Equal', value: 'v' },
        ]),
      [
        "spec.tolerations[0].operator: Invalid value: \"x\": value must be empty when `operator` is 'Exists'",
        "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
        'spec.tolerations[2].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      ],
    ],
    [
      'hostname, subdomain, readiness gates, node selector',
      (p) => {
        p.spec.hostname = 'Host';
        p.spec.subdomain = 'sub.domain';
        p.spec.readinessGates = [{ conditionType: 'bad type' }];
        p.spec.nodeSelector = { zone: 'a b' };
      },
      [
        `spec.nodeSelector: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        `spec.readinessGates[0].conditionType: Invalid value: "bad type": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `spec.hostname: ${DNS_LABEL('Host')}`,
        `spec.subdomain: ${DNS_LABEL('sub.domain')}`,
      ],
    ],
    [
      'affinity shape',
      (p) =>
        (p.spec.affinity = {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: '' } }] },
        }),
      [
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
        'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Required value: can not be empty',
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Invalid value: \"\": name part must be non-empty",
        `spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    ],
    [
      'topology spread constraints',
      (p) =>
        (p.spec.topologySpreadConstraints = [
          { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 1, topologyKey: '', whenUnsatisfiable: 'Sometimes', minDomains: 2 },
        ]),
      [
        'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
        'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
        'spec.topologySpreadConstraints[2].topologyKey: Required value: can not be empty',
        'spec.topologySpreadConstraints[2].whenUnsatisfiable: Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"',
        'spec.topologySpreadConstraints[2].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not Sometimes',
      ],
    ],
    [
      'security profiles and sysctls',
      (p) => {
        p.spec.securityContext = { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'Bad!' }], seccompProfile: { type: 'Localhost' } };
        p.spec.containers[0]!.securityContext = { seccompProfile: {}, appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'x' } };
      },
      [
        'spec.containers[0].securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set',
        'spec.containers[0].securityContext.appArmorProfile.localhostProfile: Invalid value: "x": can only be set when AppArmor type is Localhost',
        'spec.securityContext.sysctls[1].name: Invalid value: "Bad!": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
        'spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
      ],
    ],
    ['ephemeral containers on create', (p) => (p.spec.ephemeralContainers = [container({ name: 'dbg' })]), ['spec.ephemeralContainers: Forbidden: cannot be set on create']],
  ];
  for (const [name, edit, expected] of cases) {
    test(name, () => assert.deepEqual(createErrors(edit), expected));
  }

  test('an undefaulted spec misses its required fields', () => {
    const pod = basePod();
    assert.deepEqual(rules.validate(pod).map(String), [
      'spec.terminationGracePeriodSeconds: Required value',
      'spec.containers[0].terminationMessagePolicy: Required value',
      'spec.containers[0].imagePullPolicy: Required value',
      'spec.restartPolicy: Required value',
      'spec.dnsPolicy: Required value',
    ]);
  });

  test('the 422 message aggregates several errors', () => {
    const pod = basePod();
    pod.spec.containers.push(container({ image: undefined as unknown as string }));
    rules.defaults(pod);
    const err = errors.invalid('', 'Pod', 'p', rules.validate(pod));
    assert.equal(err.message, 'Pod "p" is invalid: [spec.containers[1].image: Required value, spec.containers[1].name: Duplicate value: "c"]');
    assert.deepEqual(err.status.details?.causes?.[1], { reason: 'FieldValueDuplicate', message: 'Duplicate value: "c"', field: 'spec.containers[1].name' });
  });
});

describe('pod update validation', () => {
  function stored(edit: (spec: PodSpec) => void = () => {}): Pod {
    const pod = basePod();
    edit(pod.spec);
    rules.defaults(pod);
    return pod;
  }
  function updateErrors(old: Pod, edit: (pod: Pod) => void): string[] {
    const next = structuredClone(old);
    edit(next);
    rules.defaults(next);
    return rules.validateUpdate(next, old).map(String);
  }

  test('image, labels and annotations may change', () => {
    assert.deepEqual(
      updateErrors(stored(), (p) => {
        p.spec.containers[0]!.image = 'busybox:1.37';
        p.metadata.labels = { a: 'b' };
        p.metadata.annotations = { note: 'x' };
      }),
      [],
    );
  });

  test('empty structs and lists sent by typed clients are no change', () => {
    assert.deepEqual(
      updateErrors(stored(), (p) => {
        p.spec.containers[0]!.resources = {};
        p.spec.containers[0]!.env = [];
        p.spec.nodeSelector = {};
      }),
      [],
    );
  });

  test('activeDeadlineSeconds may be set or lowered, not raised or removed', () => {
    const old = stored((s) => (s.activeDeadlineSeconds = 100));
    assert.deepEqual(updateErrors(stored(), (p) => (p.spec.activeDeadlineSeconds = 50)), []);
    assert.deepEqual(updateErrors(old, (p) => (p.spec.activeDeadlineSeconds = 50)), []);
    assert.deepEqual(updateErrors(old, (p) => (p.spec.activeDeadlineSeconds = 200)), [
      'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
    ]);
    assert.deepEqual(updateErrors(old, (p) => delete p.spec.activeDeadlineSeconds), [
      'spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value',
    ]);
    assert.deepEqual(updateErrors(old, (p) => (p.spec.activeDeadlineSeconds = -1)), [
      'spec.activeDeadlineSeconds: Invalid value: -1: must be between 1 and 2147483647, inclusive',
      'spec.activeDeadlineSeconds: Invalid value: -1: must be between 0 and 2147483647, inclusive',
    ]);
  });

  test('tolerations may only be added or have their seconds changed', () => {
    const old = stored((s) => (s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]));
    assert.deepEqual(updateErrors(old, (p) => p.spec.tolerations!.push({ key: 'other', operator: 'Exists' })), []);
    assert.deepEqual(updateErrors(old, (p) => (p.spec.tolerations![0]!.tolerationSeconds = 5)), []);
    assert.deepEqual(updateErrors(old, (p) => (p.spec.tolerations![0]!.key = 'changed')), [
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });

  test('containers may not be added or removed', () => {
    assert.deepEqual(updateErrors(stored(), (p) => p.spec.containers.push(container({ name: 'd' }))), [
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
  });

  test('scheduling gates may only be removed', () => {
    const old = stored((s) => (s.schedulingGates = [{ name: 'a' }]));
    assert.deepEqual(updateErrors(old, (p) => (p.spec.schedulingGates = [])), []);
    assert.deepEqual(updateErrors(old, (p) => p.spec.schedulingGates!.push({ name: 'b' })), [
      "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'b'",
    ]);
  });

  test('gated pods may narrow their node selection', () => {
    const term = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] };
    const old = stored((s) => {
      s.schedulingGates = [{ name: 'wait' }];
      s.nodeSelector = { disk: 'ssd' };
      s.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } };
    });
    assert.deepEqual(
      updateErrors(old, (p) => {
        p.spec.nodeSelector!.gpu = 'yes';
        (p.spec.affinity as any).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions.push({ key: 'rack', operator: 'Exists' });
      }),
      [],
    );
    assert.deepEqual(updateErrors(old, (p) => (p.spec.nodeSelector = { disk: 'hdd' })), [
      'spec.nodeSelector: Invalid value: map[string]string{"disk":"hdd"}: only additions to spec.nodeSelector are allowed (no mutations or deletions)',
    ]);
    const errs = updateErrors(old, (p) => ((p.spec.affinity as any).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions = []));
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]: Invalid value: .*: only additions are allowed \(no mutations or deletions\)$/);
    const ungated = stored((s) => (s.nodeSelector = { disk: 'ssd' }));
    assert.equal(updateErrors(ungated, (p) => (p.spec.nodeSelector!.gpu = 'yes')).length, 1);
  });

  test('terminationGracePeriodSeconds may go from negative to 1 only', () => {
    const old = stored((s) => (s.terminationGracePeriodSeconds = -1));
    assert.deepEqual(updateErrors(old, (p) => (p.spec.terminationGracePeriodSeconds = 1)), []);
    assert.equal(updateErrors(stored(), (p) => (p.spec.terminationGracePeriodSeconds = 1)).length, 1);
  });

  test('any other spec change is forbidden with a diff', () => {
    const errs = updateErrors(stored(), (p) => (p.spec.containers[0]!.name = 'renamed'));
    assert.equal(errs.length, 1);
    const [first, ...diff] = errs[0]!.split('\n');
    assert.equal(
      first,
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    assert.ok(diff.includes('-       "name": "c",'), diff.join('\n'));
    assert.ok(diff.includes('+       "name": "renamed",'), diff.join('\n'));
  });

  test('metadata name and namespace are immutable', () => {
    assert.deepEqual(updateErrors(stored(), (p) => (p.metadata.name = 'q')), ['metadata.name: Invalid value: "q": field is immutable']);
  });
});

describe('pod status update validation', () => {
  function statusErrors(edit: (pod: Pod) => void, prepare: (pod: Pod) => void = () => {}): string[] {
    const old = basePod();
    rules.defaults(old);
    rules.prepareForCreate(old);
    prepare(old);
    const next = structuredClone(old);
    edit(next);
    return rules.validateStatusUpdate(next, old).map(String);
  }

  test('ordinary kubelet status updates pass', () => {
    assert.deepEqual(
      statusErrors((p) => {
        p.status = { ...p.status, phase: 'Running', podIP: '10.0.0.5', podIPs: [{ ip: '10.0.0.5' }], hostIP: '192.168.1.2', hostIPs: [{ ip: '192.168.1.2' }] };
      }),
      [],
    );
  });

  test('QoS class and node name are fixed', () => {
    assert.deepEqual(
      statusErrors((p) => {
        p.status!.qosClass = 'Burstable';
        p.spec.nodeName = 'n2';
      }),
      ['status.nodeName: Forbidden: may not be changed directly', 'status.qosClass: Invalid value: "Burstable": field is immutable'],
    );
  });

  test('terminated containers of a Never pod stay terminated', () => {
    const terminated = { name: 'c', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 0 } } };
    const running = { ...terminated, state: { running: {} } };
    assert.deepEqual(
      statusErrors(
        (p) => (p.status!.containerStatuses = [running]),
        (p) => {
          p.spec.restartPolicy = 'Never';
          p.status!.containerStatuses = [terminated];
        },
      ),
      ['status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state'],
    );
  });

  test('pod and host IPs', () => {
    assert.deepEqual(
      statusErrors((p) => {
        p.status!.podIPs = [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }];
        p.status!.hostIP = '192.168.0.1';
        p.status!.hostIPs = [{ ip: '192.168.0.2' }];
      }),
      [
        'status.podIPs: Invalid value: "[]string{\\"10.0.0.1\\", \\"10.0.0.2\\"}": may specify no more than one IP for each IP family',
        'status.hostIPs[0].ip: Invalid value: "192.168.0.2": must be equal to `hostIP`',
      ],
    );
  });
});

describe('pod subresources', () => {
  const stored = (edit: (p: Pod) => void = () => {}) => {
    const p = basePod();
    edit(p);
    rules.defaults(p);
    rules.prepareForCreate(p);
    return p;
  };

  test('ephemeral containers may be added, not changed or removed', async () => {
    const { validatePodEphemeralContainersUpdate } = await import('../../src/api/validation/pod.js');
    const old = stored();
    const added = structuredClone(old);
    added.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }];
    assert.deepEqual(validatePodEphemeralContainersUpdate(added, old).map(String), []);
    const changed = structuredClone(added);
    changed.spec.ephemeralContainers![0]!.image = 'alpine';
    const [err] = validatePodEphemeralContainersUpdate(changed, added).map(String);
    assert.ok(err?.startsWith('spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be changed\n'), err);
    const removed = structuredClone(added);
    removed.spec.ephemeralContainers = [];
    assert.deepEqual(validatePodEphemeralContainersUpdate(removed, added).map(String), [
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be removed\n',
    ]);
    const withPorts = structuredClone(old);
    withPorts.spec.ephemeralContainers = [{ name: 'debug', image: 'busybox', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', ports: [{ containerPort: 80, protocol: 'TCP' }] }];
    assert.deepEqual(validatePodEphemeralContainersUpdate(withPorts, old).map(String), [
      'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });

  test('resize changes cpu and memory only', async () => {
    const { validatePodResize } = await import('../../src/api/validation/pod.js');
    const old = stored((p) => (p.spec.containers[0]!.resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } }));
    const bigger = structuredClone(old);
    bigger.spec.containers[0]!.resources = { requests: { cpu: '200m', memory: '64Mi' }, limits: { memory: '256Mi' } };
    assert.deepEqual(validatePodResize(bigger, old).map(String), []);
    const smaller = structuredClone(old);
    smaller.spec.containers[0]!.resources!.limits = { memory: '100Mi' };
    assert.deepEqual(validatePodResize(smaller, old).map(String), [
      'spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer',
    ]);
    const dropped = structuredClone(old);
    delete dropped.spec.containers[0]!.resources!.requests!.cpu;
    assert.deepEqual(validatePodResize(dropped, old).map(String), ['spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed']);
    const image = structuredClone(old);
    image.spec.containers[0]!.image = 'busybox:1.37';
    assert.deepEqual(validatePodResize(image, old).map(String), ['spec: Forbidden: only cpu and memory resources are mutable']);
  });

  test('binding targets a node by name', async () => {
    const { validateBinding } = await import('../../src/api/validation/pod.js');
    assert.deepEqual(validateBinding({ target: { kind: 'Node', name: 'n1' } }).map(String), []);
    assert.deepEqual(validateBinding({ target: { kind: 'Pod' } }).map(String), [
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
      'target.name: Required value',
    ]);
  });

  test('updates must carry a resourceVersion', () => {
    const old = stored();
    const next = structuredClone(old);
    delete next.metadata.resourceVersion;
    assert.deepEqual(rules.validateUpdate(next, old).map(String), ['metadata.resourceVersion: Invalid value: "": must be specified for an update']);
  });
});

describe('warnings', () => {
  test('pod names that are not DNS labels, negative grace periods', () => {
    const pod = basePod();
    pod.metadata.name = 'web.v1';
    pod.spec.terminationGracePeriodSeconds = -5;
    rules.defaults(pod);
    assert.deepEqual(rules.warnings(pod), [
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]",
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
    ]);
    assert.deepEqual(rules.warnings(basePod()), []);
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { terminationGracePeriodSeconds: -1 } } } };
    assert.deepEqual(rulesFor('apps/v1', 'Deployment').warnings(d), [
      'spec.template.spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
    ]);
  });

  test('resize policies', () => {
    const errs = createErrors((p) => {
      p.spec.restartPolicy = 'Never';
      (p.spec.containers[0] as any).resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'RestartContainer' }, { resourceName: 'gpu', restartPolicy: 'NotRequired' }];
      p.spec.initContainers = [{ name: 'i', image: 'x', resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] } as any];
    });
    assert.deepEqual(errs, [
      "spec.containers[0].resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when `restartPolicy` is 'Never'",
      'spec.containers[0].resizePolicy: Unsupported value: "gpu": supported values: "cpu", "memory"',
      'spec.initContainers[0].resizePolicy: Invalid value: []core.ContainerResizePolicy{core.ContainerResizePolicy{ResourceName:"cpu", RestartPolicy:"NotRequired"}}: must not be set for init containers',
    ]);
  });
});
