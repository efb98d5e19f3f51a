import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, decodePatch, patchTypeFor } from '../../src/api/patch/index.js';
import { ApiError } from '../../src/api/errors.js';

function rejects(fn: () => unknown, code: number, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

describe('patchTypeFor', () => {
  test('maps the four media types, ignoring parameters and case', () => {
    assert.equal(patchTypeFor('application/json-patch+json'), 'json');
    assert.equal(patchTypeFor('application/merge-patch+json; charset=utf-8'), 'merge');
    assert.equal(patchTypeFor('Application/Strategic-Merge-Patch+JSON'), 'strategic');
    assert.equal(patchTypeFor('application/apply-patch+yaml'), 'apply');
    assert.equal(patchTypeFor('application/json'), undefined);
  });
});

describe('decodePatch', () => {
  test('malformed JSON is a 400 in Go wording', () => {
    rejects(() => decodePatch('strategic', '{"a":}'), 400, "invalid character '}' looking for beginning of value");
    rejects(() => decodePatch('json', ''), 400, 'unexpected end of JSON input');
    rejects(() => decodePatch('merge', '{'), 400, 'Invalid JSON Patch');
  });
  test('apply bodies are YAML or JSON objects', () => {
    assert.deepEqual(decodePatch('apply', 'apiVersion: v1\nkind: Pod\n'), { apiVersion: 'v1', kind: 'Pod' });
    assert.deepEqual(decodePatch('apply', '{"kind":"Pod"}'), { kind: 'Pod' });
    rejects(() => decodePatch('apply', '- a\n'), 400, /^error decoding YAML: /);
  });
});

describe('JSON patch (RFC 6902 appendix A)', () => {
  const cases: { name: string; doc: unknown; patch: unknown[]; want: unknown }[] = [
    { name: 'A.1 add an object member', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux' }], want: { foo: 'bar', baz: 'qux' } },
    { name: 'A.2 add an array element', doc: { foo: ['bar', 'baz'] }, patch: [{ op: 'add', path: '/foo/1', value: 'qux' }], want: { foo: ['bar', 'qux', 'baz'] } },
    { name: 'A.3 remove an object member', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'remove', path: '/baz' }], want: { foo: 'bar' } },
    { name: 'A.4 remove an array element', doc: { foo: ['bar', 'qux', 'baz'] }, patch: [{ op: 'remove', path: '/foo/1' }], want: { foo: ['bar', 'baz'] } },
    { name: 'A.5 replace a value', doc: { baz: 'qux', foo: 'bar' }, patch: [{ op: 'replace', path: '/baz', value: 'boo' }], want: { baz: 'boo', foo: 'bar' } },
    {
      name: 'A.6 move a value',
      doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      patch: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    },
    {
      name: 'A.7 move an array element',
      doc: { foo: ['all', 'grass', 'cows', 'eat'] },
      patch: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      want: { foo: ['all', 'cows', 'eat', 'grass'] },
    },
    {
      name: 'A.8 test a value: success',
      doc: { baz: 'qux', foo: ['a', 2, 'c'] },
      patch: [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      want: { baz: 'qux', foo: ['a', 2, 'c'] },
    },
    { name: 'A.10 add a nested member object', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/child', value: { grandchild: {} } }], want: { foo: 'bar', child: { grandchild: {} } } },
    { name: 'A.11 ignore unrecognized elements', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], want: { foo: 'bar', baz: 'qux' } },
    { name: 'A.14 ~ escape ordering', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: 10 }], want: { '/': 9, '~1': 10 } },
    { name: 'A.16 add an array value', doc: { foo: ['bar'] }, patch: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], want: { foo: ['bar', ['abc', 'def']] } },
    { name: 'copy', doc: { a: { b: 1 } }, patch: [{ op: 'copy', from: '/a', path: '/c' }], want: { a: { b: 1 }, c: { b: 1 } } },
    { name: 'a key with a slash', doc: { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }, patch: [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' }], want: { metadata: { labels: {} } } },
    { name: 'replace the whole document', doc: { a: 1 }, patch: [{ op: 'replace', path: '', value: { b: 2 } }], want: { b: 2 } },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(applyJsonPatch(c.doc, c.patch), c.want));
  }

  test('the input document is left alone', () => {
    const doc = { foo: ['bar'] };
    applyJsonPatch(doc, [{ op: 'add', path: '/foo/-', value: 'x' }]);
    assert.deepEqual(doc, { foo: ['bar'] });
  });

  const failing: { name: string; doc: unknown; patch: unknown[] }[] = [
    { name: 'A.9 test a value: error', doc: { baz: 'qux' }, patch: [{ op: 'test', path: '/baz', value: 'bar' }] },
    { name: 'A.12 add to a nonexistent target', doc: { foo: 'bar' }, patch: [{ op: 'add', path: '/baz/bat', value: 'qux' }] },
    { name: 'A.15 strings and numbers differ', doc: { '/': 9, '~1': 10 }, patch: [{ op: 'test', path: '/~01', value: '10' }] },
    { name: 'remove a missing member', doc: { a: 1 }, patch: [{ op: 'remove', path: '/b' }] },
    { name: 'replace a missing member', doc: { a: 1 }, patch: [{ op: 'replace', path: '/b', value: 2 }] },
    { name: 'index past the end', doc: { a: [1] }, patch: [{ op: 'add', path: '/a/5', value: 2 }] },
    { name: 'unknown op', doc: {}, patch: [{ op: 'frob', path: '/a' }] },
    { name: 'path without a slash', doc: {}, patch: [{ op: 'add', path: 'a', value: 1 }] },
    { name: 'move into its own child', doc: { a: { b: {} } }, patch: [{ op: 'move', from: '/a', path: '/a/b/c' }] },
  ];
  for (const c of failing) {
    test(`${c.name} is the 422 Kubernetes answers`, () => {
      assert.throws(
        () => applyJsonPatch(c.doc, c.patch),
        (err: unknown) => {
          assert.ok(err instanceof ApiError);
          assert.deepEqual(err.status, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: 'the server rejected our request due to an error in our request',
            reason: 'Invalid',
            details: {},
            code: 422,
          });
          return true;
        },
      );
    });
  }

  test('a patch that is not a list is a 400', () => {
    rejects(() => applyJsonPatch({}, { op: 'add' }), 400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  });

  test('too many operations is a 413', () => {
    const patch = Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }));
    rejects(() => applyJsonPatch({}, patch), 413, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
  });
});

describe('merge patch (RFC 7386 appendix A)', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([doc, patch, want], i) => {
    test(`case ${i + 1}: ${JSON.stringify(doc)} + ${JSON.stringify(patch)}`, () => assert.deepEqual(applyMergePatch(doc, patch), want));
  });

  test('kubectl scale body', () => {
    const live = { spec: { replicas: 1, template: { spec: {} } } };
    assert.deepEqual(applyMergePatch(live, { spec: { replicas: 3 } }), { spec: { replicas: 3, template: { spec: {} } } });
    assert.equal(live.spec.replicas, 1);
  });
});
