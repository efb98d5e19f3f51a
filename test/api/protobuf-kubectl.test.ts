// Runs the real kubectl against a tiny recording server and decodes what it sends. The server
// reports minor version 32, so a version dispatcher runs kubectl 1.32, which sends protobuf.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { decodeKubernetesProtobuf, PROTOBUF_MEDIA_TYPE } from '../../src/api/protobuf/index.js';

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const kubectl = onPath('kubectl.1.32') ?? onPath('kubectl');

interface Recorded {
  url: string;
  contentType: string;
  body: Buffer;
}

const resources = {
  v1: [
    ['namespaces', 'Namespace', false],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['services', 'Service', true],
  ],
  'apps/v1': [['deployments', 'Deployment', true]],
  'batch/v1': [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ],
} as const;

function resourceList(groupVersion: keyof typeof resources) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources[groupVersion].map(([name, kind, namespaced]) => ({
      name,
      singularName: kind.toLowerCase(),
      namespaced,
      kind,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  };
}

function answer(req: IncomingMessage): unknown {
  const path = (req.url ?? '').split('?')[0];
  switch (path) {
    case '/version':
      return { major: '1', minor: '32', gitVersion: 'v1.32.0' };
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: ['apps', 'batch'].map((name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        })),
      };
    case '/api/v1':
      return resourceList('v1');
    case '/apis/apps/v1':
      return resourceList('apps/v1');
    case '/apis/batch/v1':
      return resourceList('batch/v1');
    default:
      return undefined;
  }
}

describe('kubectl create sends protobuf the decoder reads', { skip: kubectl ? false : 'no kubectl on PATH' }, () => {
  let server: Server;
  let dir: string;
  const recorded: Recorded[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (code: number, value: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        if (req.method === 'POST') {
          recorded.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
          return reply(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
        }
        const value = answer(req);
        if (value === undefined) return reply(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 });
        reply(200, value);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'k8ts-protobuf-'));
    writeFileSync(
      join(dir, 'kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
        'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]',
        'current-context: c',
        'users: [{name: u, user: {}}]',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function run(...args: string[]): Promise<Recorded> {
    const before = recorded.length;
    return new Promise((resolve, reject) => {
      execFile(
        kubectl!,
        ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
        { timeout: 30_000 },
        (err, _stdout, stderr) => {
          if (err) return reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
          const posted = recorded[before];
          if (!posted) return reject(new Error(`kubectl ${args.join(' ')} sent no body`));
          resolve(posted);
        },
      );
    });
  }

  test('create deployment', async (t) => {
    const posted = await run('create', 'deployment', 'web', '--image=nginx', '--replicas=2');
    if (posted.contentType !== PROTOBUF_MEDIA_TYPE) return t.skip(`this kubectl sent ${posted.contentType}`);
    assert.match(posted.url, /^\/apis\/apps\/v1\/namespaces\/default\/deployments\?fieldManager=kubectl-create/);
    assert.deepEqual(decodeKubernetesProtobuf(posted.body), {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  test('create service, cronjob and secret', async (t) => {
    const service = await run('create', 'service', 'nodeport', 'np', '--tcp=8080:http', '--node-port=30080');
    if (service.contentType !== PROTOBUF_MEDIA_TYPE) return t.skip(`this kubectl sent ${service.contentType}`);
    assert.deepEqual((decodeKubernetesProtobuf(service.body).spec as Record<string, unknown>).ports, [
      { name: '8080-http', protocol: 'TCP', port: 8080, targetPort: 'http', nodePort: 30080 },
    ]);

    const cron = decodeKubernetesProtobuf((await run('create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date')).body);
    const cronSpec = cron.spec as { schedule: string; jobTemplate: { spec: { template: { spec: Record<string, unknown> } } } };
    assert.equal(cronSpec.schedule, '*/5 * * * *');
    assert.deepEqual(cronSpec.jobTemplate.spec.template.spec, {
      containers: [{ name: 'cj', image: 'busybox', command: ['date'], resources: {} }],
      restartPolicy: 'OnFailure',
    });

    const secret = decodeKubernetesProtobuf((await run('create', 'secret', 'generic', 's', '--from-literal=k=v', '--type=example.com/t')).body);
    assert.deepEqual({ data: secret.data, type: secret.type }, { data: { k: Buffer.from('v').toString('base64') }, type: 'example.com/t' });
  });
});
