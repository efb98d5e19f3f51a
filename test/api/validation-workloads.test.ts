import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesFor } from '../../src/api/rules.js';
import { prepareJobForCreate } from '../../src/api/defaults/workloads.js';
import type { KubeObject } from '../../src/api/types.js';

type Obj = KubeObject & { spec: Record<string, any>; status?: Record<string, any> };
const podSpec = (extra: Record<string, unknown> = {}) => ({ containers: [{ name: 'c', image: 'nginx:1.25' }], ...extra });

function make(apiVersion: string, kind: string, spec: Record<string, unknown>, name = 'w'): Obj {
  const obj: Obj = { apiVersion, kind, metadata: { name, namespace: 'default', resourceVersion: '1' }, spec: structuredClone(spec) };
  rulesFor(apiVersion, kind).defaults(obj);
  return obj;
}
const validate = (o: Obj) => rulesFor(o.apiVersion!, o.kind!).validate(o).map(String);
const validateUpdate = (o: Obj, old: Obj) => rulesFor(o.apiVersion!, o.kind!).validateUpdate(o, old).map(String);
const validateStatus = (o: Obj, old: Obj) => rulesFor(o.apiVersion!, o.kind!).validateStatusUpdate(o, old).map(String);

const deploymentSpec = () => ({
  selector: { matchLabels: { app: 'a' } },
  template: { metadata: { labels: { app: 'a' } }, spec: podSpec() },
});
const deployment = (edit: (spec: Record<string, any>) => void = () => {}) => {
  const spec = deploymentSpec() as Record<string, any>;
  edit(spec);
  return make('apps/v1', 'Deployment', spec);
};

describe('Deployment', () => {
  test('a defaulted deployment is valid', () => assert.deepEqual(validate(deployment()), []));

  const cases: [string, (spec: Record<string, any>) => void, string[]][] = [
    [
      'no selector',
      (s) => delete s.selector,
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`'],
    ],
    [
      'empty selector',
      (s) => (s.selector = {}),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [
      'template labels do not match',
      (s) => (s.template.metadata.labels = { app: 'b' }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`'],
    ],
    [
      'selector expression',
      (s) => (s.selector = { matchExpressions: [{ key: 'app', operator: 'Has' }] }),
      [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Has": not a valid selector operator',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
      ],
    ],
    ['restartPolicy', (s) => (s.template.spec.restartPolicy = 'Never'), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
    ['negative replicas', (s) => (s.replicas = -1), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'maxSurge not a percent',
      (s) => (s.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25', maxUnavailable: 1 } }),
      [
        `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"25"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      ],
    ],
    [
      'both zero',
      (s) => (s.strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'maxUnavailable above 100%',
      (s) => (s.strategy = { rollingUpdate: { maxUnavailable: '150%' } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'],
    ],
    [
      'unknown strategy type',
      (s) => (s.strategy = { type: 'Canary' }),
      ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Canary", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'],
    ],
    [
      'Recreate with rollingUpdate',
      (s) => (s.strategy = { type: 'Recreate', rollingUpdate: {} }),
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'progress deadline not above minReadySeconds',
      (s) => {
        s.minReadySeconds = 10;
        s.progressDeadlineSeconds = 5;
      },
      ['spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds'],
    ],
    [
      'pod template errors carry template paths',
      (s) => (s.template.spec.containers[0].name = 'Bad'),
      [
        "spec.template.spec.containers[0].name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['ephemeral containers in a template', (s) => (s.template.spec.ephemeralContainers = [{ name: 'd', image: 'x' }]), ['spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template']],
  ];
  for (const [name, edit, expected] of cases) test(name, () => assert.deepEqual(validate(deployment(edit)), expected));

  test('the selector is immutable', () => {
    const old = deployment();
    const next = deployment((s) => {
      s.selector = { matchLabels: { app: 'b' } };
      s.template.metadata.labels = { app: 'b' };
    });
    assert.deepEqual(validateUpdate(next, old), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
    assert.deepEqual(validateUpdate(deployment((s) => (s.replicas = 5)), old), []);
  });

  test('status counts', () => {
    const old = deployment();
    const next = structuredClone(old);
    next.status = { replicas: 1, readyReplicas: 1, availableReplicas: 2, updatedReplicas: -1 };
    assert.deepEqual(validateStatus(next, old), [
      'status.updatedReplicas: Invalid value: -1: must be greater than or equal to 0',
      'status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas',
    ]);
  });
});

describe('ReplicaSet and DaemonSet', () => {
  test('ReplicaSet shares the deployment template rules', () => {
    const rs = make('apps/v1', 'ReplicaSet', { ...deploymentSpec(), replicas: 2 });
    assert.deepEqual(validate(rs), []);
    rs.spec.template.spec.activeDeadlineSeconds = 10;
    assert.deepEqual(validate(rs), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported']);
  });

  test('DaemonSet', () => {
    assert.deepEqual(validate(make('apps/v1', 'DaemonSet', deploymentSpec())), []);
    const noSelector = deploymentSpec() as Record<string, any>;
    delete noSelector.selector;
    assert.deepEqual(validate(make('apps/v1', 'DaemonSet', noSelector)), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
    const surge = make('apps/v1', 'DaemonSet', { ...deploymentSpec(), updateStrategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
    assert.deepEqual(validate(surge), [
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ]);
    const none = make('apps/v1', 'DaemonSet', { ...deploymentSpec(), updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } });
    assert.deepEqual(validate(none), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  });
});

describe('Job', () => {
  const job = (spec: Record<string, unknown>, uid = 'u1') => {
    const j = make('batch/v1', 'Job', spec, 'pi');
    prepareJobForCreate(j, uid);
    return j;
  };

  test('a prepared job is valid', () => {
    assert.deepEqual(validate(job({ template: { spec: podSpec({ restartPolicy: 'Never' }) } })), []);
  });

  test('restartPolicy must be OnFailure or Never', () => {
    assert.deepEqual(validate(job({ template: { spec: podSpec() } })), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
    assert.deepEqual(validate(job({ template: { spec: podSpec({ restartPolicy: 'Sometimes' }) } })), [
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  test('generated selector and labels are required', () => {
    const j = make('batch/v1', 'Job', { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec({ restartPolicy: 'Never' }) } }, 'pi');
    assert.deepEqual(validate(j), [
      'metadata.uid: Required value',
      "spec.template.metadata.labels[controller-uid]: Required value: must be ''",
      "spec.template.metadata.labels[job-name]: Required value: must be 'pi'",
      "spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Required value: must be ''",
      "spec.template.metadata.labels[batch.kubernetes.io/job-name]: Required value: must be 'pi'",
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated',
    ]);
    const bare = make('batch/v1', 'Job', { template: { spec: podSpec({ restartPolicy: 'Never' }) } }, 'pi');
    assert.deepEqual(validate(bare), ['spec.selector: Required value']);
  });

  test('pod failure policy', () => {
    const j = job({
      podFailurePolicy: { rules: [{ action: 'Explode', onExitCodes: { operator: 'In', values: [1], containerName: 'nope' } }, { action: 'Ignore' }] },
      template: { spec: podSpec({ restartPolicy: 'Never' }) },
    });
    assert.deepEqual(validate(j), [
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Explode": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
      'spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
    ]);
  });

  test('manual selectors must match the template', () => {
    const j = job({ manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: podSpec({ restartPolicy: 'Never' }) } });
    assert.deepEqual(validate(j), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`']);
  });

  test('indexed jobs need completions', () => {
    const j = job({ completionMode: 'Indexed', parallelism: 2, template: { spec: podSpec({ restartPolicy: 'Never' }) } });
    assert.deepEqual(validate(j), ['spec.completions: Required value: when completion mode is Indexed']);
  });

  test('selector, template and completions are immutable', () => {
    const old = job({ completions: 2, template: { spec: podSpec({ restartPolicy: 'Never' }) } });
    const next = structuredClone(old);
    next.spec.completions = 3;
    next.spec.template.spec.containers[0].image = 'nginx:1.26';
    assert.deepEqual(validateUpdate(next, old), [
      'spec.completions: Invalid value: 3: field is immutable',
      'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    ]);
    const moved = structuredClone(old);
    moved.spec.selector.matchLabels['extra'] = 'x';
    moved.spec.template.metadata.labels['extra'] = 'x';
    const errs = validateUpdate(moved, old);
    assert.ok(errs.includes('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"u1", "extra":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable'), errs.join('\n'));
    const suspended = job({ suspend: true, template: { spec: podSpec({ restartPolicy: 'Never' }) } });
    const rescheduled = structuredClone(suspended);
    rescheduled.spec.template.spec.nodeSelector = { zone: 'b' };
    assert.deepEqual(validateUpdate(rescheduled, suspended), []);
  });
});

describe('CronJob', () => {
  const cron = (spec: Record<string, unknown>, name = 'c') =>
    make('batch/v1', 'CronJob', { jobTemplate: { spec: { template: { spec: podSpec({ restartPolicy: 'OnFailure' }) } } }, ...spec }, name);

  test('valid schedules', () => {
    for (const schedule of ['*/5 * * * *', '0 0 * * mon-fri', '@hourly', '@every 1h30m', '0 12 1,15 jan-jun ?']) {
      assert.deepEqual(validate(cron({ schedule })), [], schedule);
    }
  });

  const cases: [string, Record<string, unknown>, string[], string?][] = [
    ['missing schedule', {}, ['spec.schedule: Required value']],
    ['three fields', { schedule: '* * *' }, ['spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]']],
    ['minute out of range', { schedule: '61 * * * *' }, ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']],
    ['unknown descriptor', { schedule: '@often' }, ['spec.schedule: Invalid value: "@often": unrecognized descriptor: @often']],
    [
      'TZ in schedule',
      { schedule: 'TZ=UTC 0 * * * *' },
      ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ],
    ['unknown time zone', { schedule: '0 * * * *', timeZone: 'Mars/Base' }, ['spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base']],
    [
      'concurrency policy',
      { schedule: '0 * * * *', concurrencyPolicy: 'Sometimes' },
      ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    ],
    ['name too long', { schedule: '0 * * * *' }, [`metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`], 'c'.repeat(53)],
  ];
  for (const [name, spec, expected, objName] of cases) test(name, () => assert.deepEqual(validate(cron(spec, objName)), expected));

  test('job template restart policy', () => {
    const cj = make('batch/v1', 'CronJob', { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: podSpec() } } } });
    assert.deepEqual(validate(cj), ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  });
});
