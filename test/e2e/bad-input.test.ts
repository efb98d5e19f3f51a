// Bad input, through raw HTTPS and through the real kubectl: the status, reason and message
// Kubernetes v1.33 gives, what kubectl prints from them, nothing partial stored, and a server that
// stays up.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

interface RawAnswer {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const podManifest = (name: string, extraSpec = '', container = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:${extraSpec}
  containers:
  - name: main
    image: busybox:1.36${container}
`;

const podJson = (name: string, spec: Record<string, unknown> = {}, containers: unknown[] = [{ name: 'main', image: 'busybox:1.36' }]) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...spec } });

const RFC1123 =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const POD_UPDATE_FORBIDDEN =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const SELECTOR_IMMUTABLE =
  'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable';

const PODS = '/api/v1/namespaces/default/pods';

describe('bad input', () => {
  let k: TestCluster;
  let dir: string;
  const cleanups: (() => unknown)[] = [];
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  function raw(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<RawAnswer> {
    const url = new URL(k.server);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          ca: k.pki.ca.certPem,
          cert: k.pki.admin.certPem,
          key: k.pki.admin.keyPem,
          headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
  /** Asserts a Status answer and returns it. */
  function assertStatus(a: RawAnswer, code: number, reason: string, message: string | RegExp) {
    assert.equal(a.code, code, a.body);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    const s = JSON.parse(a.body) as { kind: string; apiVersion: string; status: string; reason: string; message: string; code: number };
    assert.equal(s.kind, 'Status');
    assert.equal(s.apiVersion, 'v1');
    assert.equal(s.status, 'Failure');
    assert.equal(s.code, code);
    assert.equal(s.reason, reason);
    if (typeof message === 'string') assert.equal(s.message, message);
    else assert.match(s.message, message);
    return s;
  }
  const absent = async (path: string) => assert.equal((await raw('GET', path)).code, 404, `${path} must not exist`);

  before(async () => {
    k = await testCluster({ after: (fn) => cleanups.push(fn) }, { store: 'memory' });
    dir = mkdtempSync(join(tmpdir(), 'k8ts-bad-input-'));
    cleanups.push(() => safeRemoveSync(dir, { unmount: true }));
    // Objects to update badly.
    let r = await k.kubectl(['create', '-f', file('web.yaml', podManifest('web'))]);
    assert.equal(r.code, 0, r.stderr);
    r = await k.kubectl(['create', 'deployment', 'web', '--image=busybox:1.36']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  describe('unknown fields', () => {
    test('Strict: 400 strict decoding error, nothing stored', async () => {
      const message = 'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.bogus"';
      assertStatus(await raw('POST', `${PODS}?fieldValidation=Strict`, podJson('strict', { bogus: 1 })), 400, 'BadRequest', message);
      const path = file('strict.yaml', podManifest('strict', '\n  bogus: 1'));
      const r = await k.kubectl(['create', '-f', path]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (BadRequest): error when creating "${path}": ${message}\n`);
      await absent(`${PODS}/strict`);
    });

    test('Strict names every unknown field, nested ones by path', async () => {
      // In document order.
      const body = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"strict2","colour":"red"},"spec":{"bogus":1,"containers":[{"name":"main","image":"x","size":3}]}}';
      const a = await raw('POST', `${PODS}?fieldValidation=Strict`, body);
      assertStatus(
        a,
        400,
        'BadRequest',
        'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "metadata.colour", unknown field "spec.bogus", unknown field "spec.containers[0].size"',
      );
      await absent(`${PODS}/strict2`);
    });

    test('Warn: created without the field, a Warning header, kubectl prints it', async () => {
      const a = await raw('POST', `${PODS}?fieldValidation=Warn`, podJson('warned', { bogus: 1 }));
      assert.equal(a.code, 201, a.body);
      assert.equal(a.headers.warning, '299 - "unknown field \\"spec.bogus\\""');
      const created = JSON.parse(a.body);
      assert.equal(created.spec.bogus, undefined, 'an unknown field is dropped, not stored');
      assert.equal(JSON.stringify(created.metadata.managedFields).includes('bogus'), false);
      const got = JSON.parse((await raw('GET', `${PODS}/warned`)).body);
      assert.equal(got.spec.bogus, undefined);

      const path = file('warn.yaml', podManifest('warned-kubectl', '\n  bogus: 1'));
      const r = await k.kubectl(['create', '-f', path, '--validate=warn']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'Warning: unknown field "spec.bogus"\n');
      assert.equal(r.stdout, 'pod/warned-kubectl created\n');
    });

    test('Ignore: created without the field, silently', async () => {
      const a = await raw('POST', `${PODS}?fieldValidation=Ignore`, podJson('ignored', { bogus: 1 }));
      assert.equal(a.code, 201, a.body);
      assert.equal(a.headers.warning, undefined);
      assert.equal(JSON.parse(a.body).spec.bogus, undefined);
      const path = file('ignore.yaml', podManifest('ignored-kubectl', '\n  bogus: 1'));
      const r = await k.kubectl(['create', '-f', path, '--validate=false']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(JSON.parse((await raw('GET', `${PODS}/ignored-kubectl`)).body).spec.bogus, undefined);
    });
  });

  describe('invalid objects: 422 with causes; kubectl prints them from the details', () => {
    const cases: { name: string; object: string; manifest: string; causes: string[] }[] = [
      {
        name: 'no spec at all (JSON that YAML also reads: a trailing comma in a flow mapping)',
        object: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nospec"}}',
        manifest: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nospec",}}',
        causes: ['spec.containers: Required value'],
      },
      {
        name: 'an invalid name',
        object: podJson('Bad_Name'),
        manifest: podManifest('Bad_Name'),
        causes: [`metadata.name: Invalid value: "Bad_Name": ${RFC1123}`],
      },
      {
        name: 'duplicate container names',
        object: podJson('dup', {}, [{ name: 'main', image: 'a' }, { name: 'main', image: 'b' }]),
        manifest: `${podManifest('dup')}  - name: main\n    image: busybox:1.37\n`,
        causes: ['spec.containers[1].name: Duplicate value: "main"'],
      },
      {
        name: 'invalid probe thresholds',
        object: podJson('probe', {}, [{ name: 'main', image: 'a', livenessProbe: { exec: { command: ['true'] }, successThreshold: 2, failureThreshold: -1 } }]),
        manifest: podManifest('probe', '', '\n    livenessProbe:\n      exec:\n        command: ["true"]\n      successThreshold: 2\n      failureThreshold: -1'),
        causes: [
          'spec.containers[0].livenessProbe.failureThreshold: Invalid value: -1: must be greater than or equal to 0',
          'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
        ],
      },
    ];
    for (const c of cases) {
      test(c.name, async () => {
        const podName = JSON.parse(c.object).metadata.name as string;
        const message = c.causes.length === 1 ? c.causes[0] : `[${c.causes.join(', ')}]`;
        const s = assertStatus(await raw('POST', PODS, c.object), 422, 'Invalid', `Pod "${podName}" is invalid: ${message}`) as unknown as {
          details: { name: string; kind: string; causes: { field: string; message: string }[] };
        };
        assert.equal(s.details.name, podName);
        assert.equal(s.details.kind, 'Pod');
        assert.deepEqual(s.details.causes.map((x) => `${x.field}: ${x.message}`), c.causes);

        const r = await k.kubectl(['apply', '-f', file(`${podName}.yaml`, c.manifest)]);
        assert.equal(r.code, 1);
        const printed = c.causes.length === 1 ? `The Pod "${podName}" is invalid: ${c.causes[0]}\n` : `The Pod "${podName}" is invalid: \n${c.causes.map((x) => `* ${x}\n`).join('')}`;
        assert.equal(r.stderr, printed);
        await absent(`${PODS}/${podName}`);
      });
    }
  });

  describe('immutable fields', () => {
    test('a pod spec change beyond the allowed list', async () => {
      const before = JSON.parse((await raw('GET', `${PODS}/web`)).body);
      const a = await raw('PATCH', `${PODS}/web`, JSON.stringify({ spec: { restartPolicy: 'Never' } }), 'application/merge-patch+json');
      const s = assertStatus(a, 422, 'Invalid', /^Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than /);
      assert.ok(s.message.startsWith(`Pod "web" is invalid: ${POD_UPDATE_FORBIDDEN}\n`), s.message);
      assert.match(s.message, /^-\s+"restartPolicy": "Always",$/m);
      assert.match(s.message, /^\+\s+"restartPolicy": "Never",$/m);

      const r = await k.kubectl(['patch', 'pod', 'web', '-p', '{"spec":{"restartPolicy":"Never"}}']);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`The Pod "web" is invalid: ${POD_UPDATE_FORBIDDEN}\n`), r.stderr);
      const afterwards = JSON.parse((await raw('GET', `${PODS}/web`)).body);
      assert.equal(afterwards.metadata.resourceVersion, before.metadata.resourceVersion);
      assert.equal(afterwards.spec.restartPolicy, 'Always');

      // An allowed change goes through.
      const ok = await k.kubectl(['patch', 'pod', 'web', '-p', '{"spec":{"containers":[{"name":"main","image":"busybox:1.37"}]}}']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'pod/web patched\n');
    });

    test('a deployment selector', async () => {
      const path = '/apis/apps/v1/namespaces/default/deployments/web';
      const before = JSON.parse((await raw('GET', path)).body);
      const patch = '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}';
      // Kubernetes qualifies the kind with its group in the message (kubectl prints the details' kind).
      const s = assertStatus(await raw('PATCH', path, patch, 'application/merge-patch+json'), 422, 'Invalid', /^Deployment\.apps "web" is invalid: /);
      assert.ok(s.message.endsWith(` "web" is invalid: ${SELECTOR_IMMUTABLE}`), s.message);
      assert.deepEqual((s as unknown as { details: unknown }).details, {
        name: 'web',
        group: 'apps',
        kind: 'Deployment',
        causes: [{ reason: 'FieldValueInvalid', message: SELECTOR_IMMUTABLE.slice('spec.selector: '.length), field: 'spec.selector' }],
      });
      const r = await k.kubectl(['patch', 'deployment', 'web', '--type=merge', '-p', patch]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `The Deployment "web" is invalid: ${SELECTOR_IMMUTABLE}\n`);
      assert.equal(JSON.parse((await raw('GET', path)).body).metadata.resourceVersion, before.metadata.resourceVersion);
    });
  });

  describe('unknown apiVersion or kind', () => {
    test('kubectl finds no mapping; the server refuses an unknown resource and a foreign kind', async () => {
      const path = file('foo.yaml', 'apiVersion: v1\nkind: Foo\nmetadata:\n  name: f\n');
      // Without --validate=false kubectl first lists CustomResourceDefinitions, which k8ts does not serve.
      let r = await k.kubectl(['apply', '-f', path, '--validate=false']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: resource mapping not found for name: "f" namespace: "" from "${path}": no matches for kind "Foo" in version "v1"\nensure CRDs are installed first\n`);
      const other = file('foo-v9.yaml', 'apiVersion: example.com/v9\nkind: Foo\nmetadata:\n  name: g\n');
      r = await k.kubectl(['create', '-f', other, '--validate=false']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: resource mapping not found for name: "g" namespace: "" from "${other}": no matches for kind "Foo" in version "example.com/v9"\nensure CRDs are installed first\n`);

      assertStatus(await raw('POST', '/api/v1/namespaces/default/foos', '{"apiVersion":"v1","kind":"Foo","metadata":{"name":"f"}}'), 404, 'NotFound', 'the server could not find the requested resource');
      assertStatus(
        await raw('POST', PODS, '{"apiVersion":"v1","kind":"Foo","metadata":{"name":"f"}}'),
        400,
        'BadRequest',
        'Foo in version "v1" cannot be handled as a Pod: no kind "Foo" is registered for version "v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
      );
      assertStatus(
        await raw('POST', '/apis/apps/v1/namespaces/default/deployments', '{"apiVersion":"apps/v1","kind":"deployment","metadata":{"name":"f"}}'),
        400,
        'BadRequest',
        'deployment in version "v1" cannot be handled as a Deployment: no kind "deployment" is registered for version "apps/v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
      );
      await absent(`${PODS}/f`);
    });
  });

  describe('malformed bodies', () => {
    const jsonCases: [string, string, string][] = [
      ['truncated', '{"apiVersion":"v1","kind":"Pod","metadata":{"name":', 'unexpected end of JSON input ({"apiVersion":"v1","kind":"Pod ...)'],
      ['a missing comma', '{"apiVersion":"v1" "kind":"Pod"}', `invalid character '"' after object key:value pair ({"apiVersion":"v1" "kind":"Pod ...)`],
      ['a trailing comma', '{"kind":"Pod",}', `invalid character '}' looking for beginning of object key string ({"kind":"Pod",})`],
      ['single quotes', "{'kind':'Pod'}", `invalid character '\\'' looking for beginning of object key string ({'kind':'Pod'})`],
      ['a bad literal', '{"kind":"Pod","spec":tru}', `invalid character '}' in literal true (expecting 'e') ({"kind":"Pod","spec":tru})`],
      ['not an object', 'pod', `invalid character 'p' looking for beginning of value (706f64)`],
      ['empty', '', 'unexpected end of JSON input (<empty>)'],
    ];
    for (const [name, body, error] of jsonCases) {
      test(`JSON: ${name}`, async () => {
        assertStatus(await raw('POST', PODS, body), 400, 'BadRequest', `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: ${error}`);
      });
    }

    test('YAML and JSON files: the server refuses them; kubectl refuses them before sending', async () => {
      assertStatus(await raw('POST', PODS, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: y: z\n', 'application/yaml'), 400, 'BadRequest', /^error converting YAML to JSON: yaml: /);
      const path = file('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: y: z\n');
      let r = await k.kubectl(['apply', '-f', path]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: error parsing ${path}: error converting YAML to JSON: yaml: line 4: mapping values are not allowed in this context\n`);
      const json = file('broken.json', '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}');
      r = await k.kubectl(['create', '-f', json]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: error parsing ${json}: unexpected EOF\n`);
      await absent(`${PODS}/y`);
      await absent(`${PODS}/j`);
    });
  });

  describe('transport-level refusals', () => {
    test('an oversized body: 413', async () => {
      const big = 'x'.repeat(3 * 1024 * 1024 + 1);
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { big } });
      assertStatus(await raw('POST', '/api/v1/namespaces/default/configmaps', body), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      const path = file('big.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  big: ${big}\n`);
      const r = await k.kubectl(['create', '-f', path]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (RequestEntityTooLarge): error when creating "${path}": Request entity too large: limit is 3145728\n`);
      await absent('/api/v1/namespaces/default/configmaps/big');
    });

    test('a wrong content type: 415, listing what is accepted', async () => {
      assertStatus(
        await raw('POST', PODS, podJson('typed'), 'text/plain'),
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      );
      assertStatus(
        await raw('PATCH', `${PODS}/web`, '{}', 'text/plain'),
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
      );
      await absent(`${PODS}/typed`);
    });

    test('a missing namespace: 404', async () => {
      assertStatus(await raw('POST', '/api/v1/namespaces/x/pods', podJson('lost')), 404, 'NotFound', 'namespaces "x" not found');
      const path = file('lost.yaml', podManifest('lost'));
      const r = await k.kubectl(['create', '-f', path, '-n', 'x']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Error from server (NotFound): error when creating "${path}": namespaces "x" not found\n`);
      await absent('/api/v1/namespaces/x/pods/lost');
    });
  });

  test('the server is still up and serving', async () => {
    // (The deployment's own pods, labelled app=web, come and go with its controller.)
    const r = await k.kubectl(['get', 'pods', '-l', '!app', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['pod/ignored', 'pod/ignored-kubectl', 'pod/warned', 'pod/warned-kubectl', 'pod/web']);
    assert.equal((await raw('GET', '/readyz')).code, 200);
  });
});
