import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldError } from '../../src/api/errors.js';
import { admitPod } from '../../src/api/admission/index.js';
import { rulesFor } from '../../src/api/rules.js';
import type { KubeObject, Pod } from '../../src/api/types.js';

// Every field of these bodies is replaced, one at a time, by a value of the wrong JSON type. The
// rules must answer with field errors (or accept), never throw.
const template = () => ({ metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80 }] }], restartPolicy: 'Never' } });
const bodies: [string, string, Record<string, unknown>][] = [
  [
    'v1',
    'Pod',
    {
      spec: {
        containers: [
          {
            name: 'c',
            image: 'x',
            env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: '1' } },
            volumeMounts: [{ name: 'v', mountPath: '/v' }],
            livenessProbe: { httpGet: { port: 80 } },
          },
        ],
        initContainers: [{ name: 'i', image: 'x', restartPolicy: 'Always' }],
        volumes: [{ name: 'v', projected: { sources: [{ configMap: { name: 'c' } }] } }],
        tolerations: [{ key: 'k', operator: 'Exists' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } } },
      },
    },
  ],
  ['apps/v1', 'Deployment', { spec: { selector: { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }, template: template() } }],
  ['batch/v1', 'Job', { spec: { template: template(), podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'X' }] }] } } }],
  ['v1', 'Service', { spec: { selector: { a: 'b' }, ports: [{ port: 80, name: 'a' }], clusterIP: '10.0.0.1' } }],
  ['v1', 'Node', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '1' } } }],
];
const wrong: unknown[] = [null, 7, 'str', [], {}, [null], true];

function leafPaths(value: unknown, path: string[] = []): string[][] {
  const out = path.length ? [path] : [];
  if (value && typeof value === 'object') for (const k of Object.keys(value)) out.push(...leafPaths((value as Record<string, unknown>)[k], [...path, k]));
  return out;
}

function setAt(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let target = obj;
  for (const k of path.slice(0, -1)) target = target[k] as Record<string, unknown>;
  target[path.at(-1)!] = structuredClone(value);
}

describe('malformed bodies', () => {
  for (const [apiVersion, kind, body] of bodies) {
    test(`${kind}: every field of a wrong type`, () => {
      const make = (): KubeObject => ({ apiVersion, kind, metadata: { name: 'x', namespace: 'd', uid: 'u', resourceVersion: '1' }, ...structuredClone(body) });
      const rules = rulesFor(apiVersion, kind);
      const old = make();
      rules.defaults(old);
      let checked = 0;
      for (const path of leafPaths(make())) {
        for (const value of wrong) {
          const obj = make();
          setAt(obj as Record<string, unknown>, path, value);
          const where = `${path.join('.')} = ${JSON.stringify(value)}`;
          assert.doesNotThrow(() => rules.defaults(obj), where);
          for (const errs of [rules.validate(obj), rules.validateUpdate(obj, old), rules.validateStatusUpdate(obj, old)]) {
            assert.ok(errs.every((e) => e instanceof FieldError), where);
            assert.ok(errs.every((e) => !e.detail.startsWith('the object could not be validated')), `${where}: ${errs.join('; ')}`);
          }
          if (kind === 'Pod') assert.doesNotThrow(() => admitPod(obj as Pod, { namespace: 'd', serviceAccount: {}, randomSuffix: () => 'abcde' }), where);
          checked++;
        }
      }
      assert.ok(checked > 20);
    });
  }

  test('a metadata that is not an object is reported', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: 'x' } as unknown as KubeObject;
    const rules = rulesFor('v1', 'ConfigMap');
    rules.defaults(obj);
    assert.deepEqual(rules.validate(obj).map(String), ['metadata: Invalid value: "x": must be an object']);
  });
});
