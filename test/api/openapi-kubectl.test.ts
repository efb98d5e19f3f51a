// The documents as a real kubectl reads them, against a throwaway server with legacy discovery:
// `explain` through /openapi/v3 (1.31) and the /openapi/v2 protobuf (1.28), and `apply`, which must
// trust server-side validation and build its strategic merge patch from our list semantics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { groupVersion, groupVersions, resources } from '../../src/api/resources.js';
import {
  OPENAPI_V2_PROTOBUF,
  openapiV2Json,
  openapiV2Protobuf,
  openapiV3Document,
  openapiV3Root,
} from '../../src/api/openapi/index.js';

function findKubectl(version: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const dispatcher = join(dir, 'kubectl');
    if (!existsSync(dispatcher)) continue;
    for (const candidate of [join(dir, `kubectl.${version}`), join(dirname(realpathSync(dispatcher)), `kubectl.${version}`)]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function resourceList(gv: string) {
  const entries = resources
    .filter((r) => groupVersion(r) === gv)
    .flatMap((r) => [
      {
        name: r.resource,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
        ...(r.categories.length ? { categories: r.categories } : {}),
      },
      ...r.subresources.map((s) => ({ name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs })),
    ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: entries };
}

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: string;
}

/** A pod store just big enough for `kubectl apply` to create and then patch one pod. */
class PodStore {
  readonly writes: Recorded[] = [];
  private readonly pods = new Map<string, Record<string, any>>();
  private version = 1;

  handle(req: IncomingMessage, url: URL, body: string): { code: number; body: unknown } | undefined {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return undefined;
    const [, ns, name] = m;
    const key = `${ns}/${name}`;
    if (req.method === 'GET' && name) {
      const pod = this.pods.get(key);
      return pod ? { code: 200, body: pod } : { code: 404, body: notFound(`pods "${name}" not found`) };
    }
    this.writes.push({ method: req.method!, path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'] ?? '', body });
    if (req.method === 'POST') {
      const pod = JSON.parse(body);
      pod.metadata = { ...pod.metadata, namespace: ns, uid: 'u1', resourceVersion: String(this.version++) };
      this.pods.set(`${ns}/${pod.metadata.name}`, pod);
      return { code: 201, body: pod };
    }
    if (req.method === 'PATCH' && this.pods.has(key)) return { code: 200, body: this.pods.get(key) };
    return { code: 405, body: notFound('unsupported') };
  }
}

function notFound(message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message };
}

function startServer(minor: string, store = new PodStore()): Promise<Server> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const handled = store.handle(req, new URL(req.url ?? '/', 'http://localhost'), Buffer.concat(chunks).toString('utf8'));
    if (handled) {
      res.writeHead(handled.code, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(handled.body));
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    const path = url.pathname;
    if (path === '/version') return json({ major: '1', minor, gitVersion: `v1.${minor}.0`, platform: 'linux/amd64' });
    if (path === '/api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = groupVersions()
        .filter((gv) => gv.group)
        .map((gv) => {
          const v = { groupVersion: groupVersion(gv), version: gv.version };
          return { name: gv.group, versions: [v], preferredVersion: v };
        });
      return json({ kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (path === '/api/v1') return json(resourceList('v1'));
    const gvMatch = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (gvMatch) return json(resourceList(`${gvMatch[1]}/${gvMatch[2]}`));
    if (path === '/openapi/v3') return json(openapiV3Root());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiV3Document(path.slice('/openapi/v3/'.length));
      if (doc) return json(doc.body);
    }
    if (path === '/openapi/v2') {
      if ((req.headers.accept ?? '').includes('protobuf')) {
        res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF });
        return res.end(openapiV2Protobuf());
      }
      return json(openapiV2Json().body);
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(notFound('the server could not find the requested resource')));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function run(binary: string, dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(binary, ['--kubeconfig', join(dir, 'config'), '--cache-dir', join(dir, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

type Ctl = (args: string[]) => ReturnType<typeof run>;

function kubectlSuite(version: string, minor: string, body: (ctl: Ctl, store: PodStore) => void): void {
  const binary = findKubectl(version);
  describe(`kubectl ${version}`, { skip: binary ? false : `kubectl.${version} is not installed` }, () => {
    let server: Server;
    let dir: string;
    const store = new PodStore();
    before(async () => {
      server = await startServer(minor, store);
      dir = mkdtempSync(join(tmpdir(), 'k8ts-explain-'));
      const port = (server.address() as AddressInfo).port;
      writeFileSync(
        join(dir, 'config'),
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
          'users: [{name: t, user: {}}]',
          'contexts: [{name: t, context: {cluster: t, user: t}}]',
          'current-context: t',
        ].join('\n'),
      );
    });
    after(() => {
      server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    body((args) => run(binary!, dir, args), store);
  });
}

function writeManifest(ctlDir: string, image: string): string {
  const file = join(ctlDir, 'pod.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: web, namespace: default}',
      'spec:',
      '  containers:',
      `  - {name: web, image: "${image}", ports: [{containerPort: 80}]}`,
      '  - {name: side, image: busybox}',
    ].join('\n'),
  );
  return file;
}

function applyTests(ctl: Ctl, store: PodStore): void {
  test('apply trusts server-side validation and patches with merge keys from the schemas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8ts-apply-'));
    try {
      const created = await ctl(['apply', '-f', writeManifest(dir, 'nginx:1.26')]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /pod\/web created/);
      const post = store.writes.find((w) => w.method === 'POST')!;
      assert.equal(post.query.get('fieldValidation'), 'Strict');

      const configured = await ctl(['apply', '-f', writeManifest(dir, 'nginx:1.27')]);
      assert.equal(configured.code, 0, configured.stderr);
      const patch = store.writes.find((w) => w.method === 'PATCH')!;
      assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
      assert.equal(patch.query.get('fieldValidation'), 'Strict');
      const body = JSON.parse(patch.body);
      assert.deepEqual(body.spec['$setElementOrder/containers'], [{ name: 'web' }, { name: 'side' }]);
      assert.deepEqual(body.spec.containers, [{ image: 'nginx:1.27', name: 'web' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

kubectlSuite('1.31', '31', (ctl, store) => {
  applyTests(ctl, store);

  test('pod.spec.containers prints our descriptions, types and required fields (v3)', async () => {
    const out = await ctl(['explain', 'pod.spec.containers']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /KIND:\s+Pod/);
    assert.match(out.stdout, /FIELD:\s+containers <\[\]Container>/);
    assert.match(out.stdout, /A single application container of a pod\./);
    assert.match(out.stdout, /imagePullPolicy\s+<string>/);
    assert.match(out.stdout, /name\s+<string> -required-/);
    assert.match(out.stdout, /Always\s*\n?.*IfNotPresent/s);
  });

  test('--recursive walks the whole tree', async () => {
    const out = await ctl(['explain', 'deployment.spec.strategy', '--recursive']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);
    assert.match(out.stdout, /maxSurge\s+<IntOrString>/);
  });
});

kubectlSuite('1.28', '28', (ctl, store) => {
  applyTests(ctl, store);

  test('pods prints our descriptions from the v2 protobuf', async () => {
    const out = await ctl(['explain', 'pods']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /KIND:\s+Pod/);
    assert.match(out.stdout, /A group of containers that run together on one node\./);
    assert.match(out.stdout, /spec\s+<PodSpec>/);
  });

  test('pod.spec.containers.ports shows the nested fields', async () => {
    const out = await ctl(['explain', 'pod.spec.containers.ports']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /containerPort\s+<integer> -required-/);
    assert.match(out.stdout, /Port number on the pod IP/);
  });
});
