import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeQoSClass } from '../../src/api/qos.js';
import type { Container, Pod } from '../../src/api/types.js';

function pod(containers: Partial<Container>[], initContainers: Partial<Container>[] = []): Pick<Pod, 'spec'> {
  const named = (list: Partial<Container>[], prefix: string) => list.map((c, i) => ({ name: `${prefix}${i}`, image: 'x', ...c }));
  return { spec: { containers: named(containers, 'c'), initContainers: named(initContainers, 'i') } };
}
const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ resources: { requests, limits } });

describe('computeQoSClass', () => {
  const cases: [string, Pick<Pod, 'spec'>, string][] = [
    ['no resources anywhere', pod([{}, {}]), 'BestEffort'],
    ['only non-QoS resources', pod([res({ 'ephemeral-storage': '1Gi' }, { 'example.com/gpu': '1' })]), 'BestEffort'],
    ['zero requests are ignored', pod([res({ cpu: '0', memory: '0' })]), 'BestEffort'],
    ['limits equal requests for cpu and memory', pod([res({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' })]), 'Guaranteed'],
    ['limits only (requests default to them)', pod([res(undefined, { cpu: '500m', memory: '128Mi' })]), 'Guaranteed'],
    ['request below limit', pod([res({ cpu: '250m', memory: '128Mi' }, { cpu: '500m', memory: '128Mi' })]), 'Burstable'],
    ['memory limit missing', pod([res({ cpu: '1' }, { cpu: '1' })]), 'Burstable'],
    ['one container without limits', pod([res(undefined, { cpu: '1', memory: '1Gi' }), {}]), 'Burstable'],
    ['init container counts', pod([res(undefined, { cpu: '1', memory: '1Gi' })], [res({ cpu: '100m' })]), 'Burstable'],
    ['guaranteed init and regular', pod([res(undefined, { cpu: '1', memory: '1Gi' })], [res(undefined, { cpu: '2', memory: '1Gi' })]), 'Guaranteed'],
    ['only requests', pod([res({ memory: '64Mi' })]), 'Burstable'],
  ];
  for (const [name, p, expected] of cases) {
    test(name, () => assert.equal(computeQoSClass(p), expected));
  }
  test('ephemeral containers never count', () => {
    const p = pod([res(undefined, { cpu: '1', memory: '1Gi' })]);
    p.spec.ephemeralContainers = [{ name: 'debug', image: 'x', resources: { requests: { cpu: '1' } } }];
    assert.equal(computeQoSClass(p), 'Guaranteed');
  });
});
