// The documents as a real kubectl reads them: `explain` through /openapi/v3 (1.31) and through the
// /openapi/v2 protobuf (1.28), against a throwaway server with legacy discovery.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
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

function startServer(minor: string): Promise<Server> {
  const server = createServer((req, res) => {
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
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
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

function explainSuite(version: string, minor: string, body: (ctl: (args: string[]) => ReturnType<typeof run>) => void): void {
  const binary = findKubectl(version);
  describe(`kubectl ${version} explain`, { skip: binary ? false : `kubectl.${version} is not installed` }, () => {
    let server: Server;
    let dir: string;
    before(async () => {
      server = await startServer(minor);
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
    body((args) => run(binary!, dir, args));
  });
}

explainSuite('1.31', '31', (ctl) => {
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

explainSuite('1.28', '28', (ctl) => {
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
