import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPod, apiAccessVolume, podServiceAccountName, type PodAdmissionContext } from '../../src/api/admission/index.js';
import { rulesFor } from '../../src/api/rules.js';
import type { Pod } from '../../src/api/types.js';

const MOUNT = { name: 'kube-api-access-x7k2q', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };

function pod(edit: (p: Pod) => void = () => {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'team' },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
  };
  edit(p);
  rulesFor('v1', 'Pod').defaults(p);
  return p;
}

function ctx(extra: Partial<PodAdmissionContext> = {}): PodAdmissionContext {
  return { namespace: 'team', serviceAccount: {}, randomSuffix: () => 'x7k2q', ...extra };
}

describe('ServiceAccount plugin', () => {
  test('defaults the account and mounts the API access volume everywhere', () => {
    const p = pod((p) => {
      p.spec.initContainers = [
        { name: 'init', image: 'busybox' },
        { name: 'sidecar', image: 'busybox', restartPolicy: 'Always' },
      ];
    });
    assert.equal(admitPod(p, ctx()), undefined);
    assert.equal(p.spec.serviceAccountName, 'default');
    assert.equal(p.spec.serviceAccount, 'default');
    for (const c of [...p.spec.initContainers!, ...p.spec.containers]) assert.deepEqual(c.volumeMounts, [MOUNT], c.name);
    assert.deepEqual(p.spec.volumes, [apiAccessVolume('kube-api-access-x7k2q')]);
    assert.deepEqual(p.spec.volumes![0], {
      name: 'kube-api-access-x7k2q',
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    assert.deepEqual(rulesFor('v1', 'Pod').validate(p).map(String), []);
  });

  test('automountServiceAccountToken false on the pod or the account', () => {
    const onPod = pod((p) => (p.spec.automountServiceAccountToken = false));
    assert.equal(admitPod(onPod, ctx()), undefined);
    assert.equal(onPod.spec.volumes, undefined);
    assert.equal(onPod.spec.containers[0]!.volumeMounts, undefined);
    const onAccount = pod();
    assert.equal(admitPod(onAccount, ctx({ serviceAccount: { automountServiceAccountToken: false } })), undefined);
    assert.equal(onAccount.spec.volumes, undefined);
    const podWins = pod((p) => (p.spec.automountServiceAccountToken = true));
    admitPod(podWins, ctx({ serviceAccount: { automountServiceAccountToken: false } }));
    assert.equal(podWins.spec.volumes?.length, 1);
  });

  test('containers that already mount the path are left alone', () => {
    const p = pod((p) => {
      p.spec.volumes = [{ name: 'own', emptyDir: {} }];
      p.spec.containers.push({ name: 'd', image: 'x', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] });
    });
    admitPod(p, ctx());
    assert.deepEqual(p.spec.containers[0]!.volumeMounts, [MOUNT]);
    assert.deepEqual(p.spec.containers[1]!.volumeMounts, [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    assert.deepEqual(p.spec.volumes!.map((v) => v.name), ['own', 'kube-api-access-x7k2q']);
  });

  test('no volume when every container already mounts the path', () => {
    const p = pod((p) => {
      p.spec.volumes = [{ name: 'own', emptyDir: {} }];
      p.spec.containers[0]!.volumeMounts = [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    });
    admitPod(p, ctx());
    assert.deepEqual(p.spec.volumes!.map((v) => v.name), ['own']);
  });

  test('an existing kube-api-access volume is reused', () => {
    const p = pod((p) => (p.spec.volumes = [apiAccessVolume('kube-api-access-abcde')]));
    admitPod(p, ctx());
    assert.equal(p.spec.volumes!.length, 1);
    assert.equal(p.spec.containers[0]!.volumeMounts![0]!.name, 'kube-api-access-abcde');
  });

  test('image pull secrets come from the account when the pod has none', () => {
    const p = pod();
    admitPod(p, ctx({ serviceAccount: { imagePullSecrets: [{ name: 'regcred' }] } }));
    assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'regcred' }]);
  });

  test('a missing service account is forbidden', () => {
    const p = pod((p) => (p.spec.serviceAccountName = 'builder'));
    assert.equal(podServiceAccountName(p), 'builder');
    const err = admitPod(p, ctx({ serviceAccount: undefined }));
    assert.equal(err?.code, 403);
    assert.equal(err?.reason, 'Forbidden');
    assert.equal(err?.message, 'pods "p" is forbidden: error looking up service account team/builder: serviceaccount "builder" not found');
    const generated = pod((p) => {
      delete p.metadata.name;
      p.metadata.generateName = 'web-';
    });
    assert.equal(
      admitPod(generated, ctx({ serviceAccount: undefined }))?.message,
      'pods "web-" is forbidden: error looking up service account team/default: serviceaccount "default" not found',
    );
  });

  test('mirror pods are not given a service account', () => {
    const p = pod((p) => (p.metadata.annotations = { 'kubernetes.io/config.mirror': 'hash' }));
    assert.equal(admitPod(p, ctx({ serviceAccount: undefined })), undefined);
    assert.equal(p.spec.serviceAccountName, undefined);
    assert.equal(p.spec.volumes, undefined);
  });
});

describe('DefaultTolerationSeconds plugin', () => {
  const defaults = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  test('adds both tolerations', () => {
    const p = pod();
    admitPod(p, ctx());
    assert.deepEqual(p.spec.tolerations, defaults);
  });
  test('keeps existing ones and adds only the missing', () => {
    const own = { key: 'node.kubernetes.io/not-ready', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 5 };
    const p = pod((p) => (p.spec.tolerations = [own]));
    admitPod(p, ctx());
    assert.deepEqual(p.spec.tolerations, [own, defaults[1]]);
  });
  test('a wildcard toleration covers both', () => {
    const p = pod((p) => (p.spec.tolerations = [{ operator: 'Exists' }]));
    admitPod(p, ctx());
    assert.deepEqual(p.spec.tolerations, [{ operator: 'Exists' }]);
  });
  test('a NoSchedule toleration does not count', () => {
    const p = pod((p) => (p.spec.tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }]));
    admitPod(p, ctx());
    assert.equal(p.spec.tolerations!.length, 3);
  });
});

describe('Priority plugin', () => {
  test('no class: priority 0 and PreemptLowerPriority', () => {
    const p = pod();
    admitPod(p, ctx());
    assert.equal(p.spec.priority, 0);
    assert.equal(p.spec.preemptionPolicy, 'PreemptLowerPriority');
  });
  test('system classes resolve', () => {
    const p = pod((p) => (p.spec.priorityClassName = 'system-node-critical'));
    assert.equal(admitPod(p, ctx()), undefined);
    assert.equal(p.spec.priority, 2000001000);
    const q = pod((p) => (p.spec.priorityClassName = 'system-cluster-critical'));
    admitPod(q, ctx());
    assert.equal(q.spec.priority, 2000000000);
  });
  test('unknown classes and mismatched values are forbidden', () => {
    assert.equal(admitPod(pod((p) => (p.spec.priorityClassName = 'high')), ctx())?.message, 'pods "p" is forbidden: no PriorityClass with name high was found');
    assert.equal(
      admitPod(pod((p) => (p.spec.priority = 10)), ctx())?.message,
      'pods "p" is forbidden: the integer value of priority (10) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
    );
    assert.equal(
      admitPod(pod((p) => (p.spec.preemptionPolicy = 'Never')), ctx())?.message,
      'pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
    );
  });
  test('extra classes can be supplied', () => {
    const p = pod((p) => (p.spec.priorityClassName = 'batch-low'));
    const classes = new Map([['batch-low', { value: -10, preemptionPolicy: 'Never' }]]);
    assert.equal(admitPod(p, ctx({ priorityClasses: classes })), undefined);
    assert.equal(p.spec.priority, -10);
    assert.equal(p.spec.preemptionPolicy, 'Never');
  });
});
