// Scenario 07 (shared/scenarios/README.md): an init container copies /sample.war (a file of its
// image) into an emptyDir that the tomcat container serves from its webapps directory, reachable on
// the node through a hostPort. The hostPort is a free port of this machine instead of 8001.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePort, run } from '../helpers/cluster.js';
import { standInLayersDir } from '../helpers/images.js';
import { scenarioCluster, scenario, getPod, jsonpath } from './scenario-support.js';

test('07: the init container hands the artifact to tomcat through an emptyDir; hostPort reaches it', async (t) => {
  const k = await scenarioCluster(t);
  const port = await freePort();
  const seed = scenario('07-init-copies-artifact.yaml');
  const manifest = seed.replace('hostPort: 8001', `hostPort: ${port}`);
  assert.notEqual(manifest, seed);
  const applied = await k.kubectl(['apply', '-f', k.manifest('07.yaml', manifest)]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout.trim(), 'pod/javaweb-2 created');

  const row = await eventually(async () => {
    const r = await getPod(k, 'javaweb-2');
    return r?.status === 'Running' && r;
  }, 60_000, 250);
  assert.deepEqual([row.ready, row.restarts], ['1/1', '0']);
  assert.equal(await jsonpath(k, 'javaweb-2', '{.status.initContainerStatuses[0].state.terminated.reason}/{.status.initContainerStatuses[0].state.terminated.exitCode}'), 'Completed/0');

  const war = readFileSync(join(standInLayersDir, 'sample', 'sample.war'), 'utf8');
  const listing = await k.kubectl(['exec', 'javaweb-2', '--', 'ls', '/root/apache-tomcat-7.0.42-v2/webapps']);
  assert.equal(listing.code, 0, listing.stderr);
  assert.equal(listing.stdout, 'sample.war\n');
  // The file belongs to the image of the init container only.
  const notInTomcat = await k.kubectl(['exec', 'javaweb-2', '--', 'sh', '-c', 'test -e /sample.war && echo present || echo absent']);
  assert.equal(notInTomcat.stdout, 'absent\n');

  const ip = await jsonpath(k, 'javaweb-2', '{.status.podIP}');
  const direct = await eventually(async () => {
    const r = await run('curl', ['-sS', '--max-time', '5', `http://${ip}:8080/sample.war`]);
    return r.code === 0 && r;
  }, 30_000, 250);
  assert.equal(direct.stdout, war);
  const viaHostPort = await run('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${port}/sample.war`]);
  assert.equal(viaHostPort.code, 0, viaHostPort.stderr);
  assert.equal(viaHostPort.stdout, war);

  const described = (await k.kubectl(['describe', 'pod', 'javaweb-2'])).stdout;
  assert.match(described, new RegExp(`^    Port: +8080/TCP\\n    Host Port: +${port}/TCP\\n`, 'm'));
  assert.match(described, /^      \/root\/apache-tomcat-7\.0\.42-v2\/webapps from app-volume \(rw\)$/m);
  assert.match(described, /^  app-volume:\n    Type:       EmptyDir \(a temporary directory that shares a pod's lifetime\)\n/m);
});
