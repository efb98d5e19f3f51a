// The seed scenarios (shared/scenarios/README.md) on the cri runtime: real containers from locally
// built images carrying the manifests' names (busybox, nginx, the liveness server, tomcat …), pulled
// from a local registry that stands in for Docker Hub. Manifests run unmodified, apart from a free
// host port for 07 and a scratch directory for 06's hostPath.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerdUnavailable } from '../helpers/containerd.js';
import { eventually, freePort, run } from '../helpers/cluster.js';
import { standInLayersDir } from '../helpers/images.js';
import { criStandInCluster } from '../helpers/oci-images.js';
import { describeEvents, getPod, jsonpath, randomPodCIDR, randomServiceCIDR, scenario } from './scenario-support.js';

const unavailable = containerdUnavailable();

const curl = (url: string) => run('curl', ['-sS', '--max-time', '5', url]);

test('seed scenarios on the cri runtime', { skip: unavailable ?? false }, async (t) => {
  const k = await criStandInCluster(t, { serviceCidr: randomServiceCIDR(), podCIDR: randomPodCIDR() });
  const apply = async (file: string, text = scenario(file)) => {
    const r = await k.kubectl(['apply', '-f', k.manifest(file, text)]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const running = (name: string, namespace = 'default') =>
    eventually(async () => {
      const row = await getPod(k, name, namespace);
      return row?.status === 'Running' && row;
    }, 90_000, 250);

  await t.test('02: the init container runs to completion, then the main container', async () => {
    assert.equal((await apply('02-init-then-main.yaml')).trim(), 'pod/init-pod-demo created');
    const row = await running('init-pod-demo');
    assert.equal(row.ready, '1/1');
    assert.equal(await jsonpath(k, 'init-pod-demo', '{.status.initContainerStatuses[0].state.terminated.reason}/{.status.initContainerStatuses[0].state.terminated.exitCode}'), 'Completed/0');
    const [initLog, mainLog] = await Promise.all([k.kubectl(['logs', 'init-pod-demo', '-c', 'init-container']), k.kubectl(['logs', 'init-pod-demo'])]);
    const initAt = Date.parse(initLog.stdout.trim());
    const mainAt = Date.parse(mainLog.stdout.trim());
    assert.ok(Number.isFinite(initAt) && Number.isFinite(mainAt), `${initLog.stdout} / ${mainLog.stdout}`);
    assert.ok(mainAt - initAt >= 9_000, `the main container started after the init container's 10 s: ${initLog.stdout} then ${mainLog.stdout}`);
    const events = describeEvents((await k.kubectl(['describe', 'pod', 'init-pod-demo'])).stdout).map((e) => e.reason);
    assert.deepEqual(events.filter((r) => r !== 'Pulling'), ['Scheduled', 'Pulled', 'Created', 'Started', 'Pulled', 'Created', 'Started'], events.join(' '));
    assert.match(await jsonpath(k, 'init-pod-demo', '{.status.containerStatuses[0].containerID}'), /^containerd:\/\/[0-9a-f]{64}$/);
  });

  await t.test('07: an init container hands a file of its image to tomcat through an emptyDir', async () => {
    const port = await freePort();
    await apply('07-init-copies-artifact.yaml', scenario('07-init-copies-artifact.yaml').replace('hostPort: 8001', `hostPort: ${port}`));
    await running('javaweb-2');
    const war = readFileSync(join(standInLayersDir, 'sample', 'sample.war'), 'utf8');
    const listing = await k.kubectl(['exec', 'javaweb-2', '--', 'ls', '/root/apache-tomcat-7.0.42-v2/webapps']);
    assert.equal(listing.stdout, 'sample.war\n', listing.stderr);
    const ip = await jsonpath(k, 'javaweb-2', '{.status.podIP}');
    const direct = await eventually(async () => {
      const r = await curl(`http://${ip}:8080/sample.war`);
      return r.code === 0 && r;
    }, 30_000, 250);
    assert.equal(direct.stdout, war);
    const viaHostPort = await curl(`http://127.0.0.1:${port}/sample.war`);
    assert.equal(viaHostPort.stdout, war, viaHostPort.stderr);
  });

  await t.test('06: nginx serves what the debian container wrote into the shared hostPath', async () => {
    const seed = scenario('06-shared-volume-two-containers.yaml');
    const manifest = seed.replace('path: /data', `path: ${k.scratch}/data`);
    assert.notEqual(manifest, seed);
    await apply('06.yaml', manifest);
    const ip = await eventually(async () => (await k.kubectl(['get', 'pod', 'two-contrains', '-n', 'name01', '-o', 'jsonpath={.status.podIP}'])).stdout || undefined, 90_000, 250);
    const page = await eventually(async () => {
      const r = await curl(`http://${ip}/index.html`);
      return r.code === 0 && r.stdout.includes('Hello') && r;
    }, 90_000, 500);
    assert.equal(page.stdout, 'Hello from the debian container !\n');
    assert.equal(readFileSync(join(k.scratch, 'data', 'index.html'), 'utf8'), 'Hello from the debian container !\n');
    // debian exits 0 under restartPolicy Always and is restarted.
    await eventually(async () => Number((await k.kubectl(['get', 'pod', 'two-contrains', '-n', 'name01', '-o', 'jsonpath={.status.containerStatuses[?(@.name=="debian-container")].restartCount}'])).stdout) >= 1, 60_000, 500);
  });

  await t.test('03: the liveness probe fails after 10 s and the container is restarted', async () => {
    await apply('03-liveness-http.yaml');
    await running('liveness-http');
    await eventually(async () => Number(await jsonpath(k, 'liveness-http', '{.status.containerStatuses[0].restartCount}')) >= 1, 90_000, 500);
    const events = describeEvents((await k.kubectl(['describe', 'pod', 'liveness-http'])).stdout);
    assert.ok(events.some((e) => e.reason === 'Unhealthy' && e.message === 'Liveness probe failed: HTTP probe failed with statuscode: 500'), JSON.stringify(events));
    assert.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container liveness failed liveness probe, will be restarted'), JSON.stringify(events));
    assert.equal(await jsonpath(k, 'liveness-http', '{.status.containerStatuses[0].lastState.terminated.exitCode}'), '2');
    const logs = await k.kubectl(['logs', 'liveness-http', '--previous']);
    assert.match(logs.stdout, /^GET \/healthz HTTP\/1\.1$/m);
    assert.match(logs.stdout, /^ {2}Custom-Header: Awesome$/m);
    assert.match(logs.stdout, /^ {2}User-Agent: kube-probe\/1\.33$/m);
  });

  await t.test('01: init containers wait for the Services, then the app runs', async () => {
    await apply('01-init-waits-for-services.yaml');
    const waiting = await eventually(async () => {
      const r = await k.kubectl(['logs', 'app-pod', '-c', 'init-myservice']);
      return r.stdout.includes('waiting for myservice') && r;
    }, 60_000, 500);
    assert.match(waiting.stdout, /waiting for myservice/);
    assert.equal((await getPod(k, 'app-pod'))?.status, 'Init:0/2');
    await apply('01-services.yaml');
    const row = await running('app-pod');
    assert.equal(row.ready, '1/1');
    assert.equal((await k.kubectl(['logs', 'app-pod'])).stdout, 'The app is running!\n');
  });
});
