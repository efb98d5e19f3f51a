import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHarness, makePod } from './harness.js';

describe('node-level behaviour', () => {
  test('§1.3 §9.3 activeDeadlineSeconds fails the pod with DeadlineExceeded and kills its containers', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(makePod('deadline', { activeDeadlineSeconds: 30, containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(60_000);
      const uid = pod.metadata.uid!;
      assert.deepEqual(h.runtime.callsMatching(['stopContainer', 'stopPodSandbox']), ['stopContainer app 30@30', 'stopPodSandbox deadline@30']);
      const event = h.events.find('DeadlineExceeded')!;
      assert.equal(event.type, 'Normal');
      assert.equal(event.message, 'Pod was active on the node longer than the specified deadline');
      const status = h.api.lastStatus(uid)!;
      assert.equal(status.phase, 'Failed');
      assert.equal(status.reason, 'DeadlineExceeded');
      assert.equal(status.message, 'Pod was active on the node longer than the specified deadline');
    } finally {
      await h.close();
    }
  });

  test('§3.5 a restarted agent adopts running containers without restarting them and keeps restart counts', async () => {
    const first = await createHarness();
    let second: Awaited<ReturnType<typeof createHarness>> | undefined;
    try {
      first.runtime.behave({ name: 'flaky' }, (_c, n) => (n === 0 ? { exitAfterMs: 2000, exitCode: 1 } : {}));
      const pod = first.add(
        makePod('adopted', { containers: [{ name: 'steady', image: 'app:1' }, { name: 'flaky', image: 'app:1' }] }),
      );
      const orphan = first.add(makePod('orphan', { containers: [{ name: 'lost', image: 'app:1' }] }));
      await first.advance(10_000);
      await first.kubelet.stop();
      const callsBefore = first.runtime.calls.length;

      second = await createHarness({ runtime: first.runtime, clock: first.clock, rootDir: first.rootDir });
      const current = first.api.pods.get(pod.metadata.uid!)!;
      second.api.put(current);
      second.kubelet.updatePods([current]);
      await second.advance(10_000);

      const newCalls = first.runtime.calls.slice(callsBefore).map((c) => c.call);
      assert.ok(!newCalls.some((c) => /^(runPodSandbox|createContainer|startContainer)/.test(c)), newCalls.join('\n'));
      // The pod no longer bound to the node is stopped (grace 1 s, raised to the 2 s minimum) and removed.
      assert.ok(newCalls.includes('stopContainer lost 2'), newCalls.join('\n'));
      assert.ok(newCalls.includes('removePodSandbox orphan'), newCalls.join('\n'));
      const status = second.api.lastStatus(pod.metadata.uid!)!;
      assert.equal(status.phase, 'Running');
      const flaky = status.containerStatuses!.find((c) => c.name === 'flaky')!;
      assert.equal(flaky.restartCount, 1);
      assert.ok(flaky.state!.running);
      assert.equal(orphan.metadata.name, 'orphan');
    } finally {
      await second?.close();
      await first.close().catch(() => undefined);
    }
  });

  test('environment, volumes and /etc/hosts are prepared for the container', async () => {
    const h = await createHarness({ kubelet: { dnsConfig: { servers: ['10.96.0.10'], searches: [], options: [] } } });
    try {
      h.config.configMaps.set('default/settings', { data: { LEVEL: 'debug', 'app.conf': 'x=1' } });
      h.config.configMaps.set('default/kube-root-ca.crt', { data: { 'ca.crt': 'CERT' } });
      h.config.secrets.set('default/creds', { data: { password: Buffer.from('s3cret').toString('base64') } });
      h.config.services = [
        { metadata: { name: 'my-db', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } },
      ];
      const pod = h.add(
        makePod('configured', {
          hostname: 'web-0',
          subdomain: 'web',
          serviceAccountName: 'default',
          volumes: [
            { name: 'cache', emptyDir: {} },
            { name: 'conf', configMap: { name: 'settings', items: [{ key: 'app.conf', path: 'app.conf', mode: 0o600 }] } },
            {
              name: 'kube-api-access-abcde',
              projected: {
                defaultMode: 420,
                sources: [
                  { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
                  { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                  { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
                ],
              },
            },
          ],
          containers: [
            {
              name: 'app',
              image: 'app:1',
              command: ['run', '--level=$(LEVEL)', '$(MISSING)'],
              envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }],
              env: [
                { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
                { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                { name: 'GREETING', value: 'hello $(POD_NAME) $$(LEVEL)' },
              ],
              volumeMounts: [
                { name: 'cache', mountPath: '/cache' },
                { name: 'conf', mountPath: '/etc/app' },
                { name: 'kube-api-access-abcde', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
              ],
            },
          ],
        }),
      );
      await h.advance(3000);
      const uid = pod.metadata.uid!;
      const [app] = await h.runtime.listContainers({ labels: { 'io.kubernetes.container.name': 'app' } });
      assert.ok(app, 'container created');
      const ip = h.api.lastStatus(uid)!.podIP!;
      // The fake keeps the config it was given; read it back through the call log's container.
      const config = (h.runtime as unknown as { containers: Map<string, { config: import('../../src/runtime/types.js').ContainerConfig }> }).containers.get(app.id)!.config;
      const env = Object.fromEntries(config.env.map((e) => [e.name, e.value]));
      assert.equal(env.CFG_LEVEL, 'debug');
      assert.equal(env.LEVEL, 'debug');
      assert.equal(env.PASSWORD, 's3cret');
      assert.equal(env.POD_NAME, 'configured');
      assert.equal(env.POD_IP, ip);
      assert.equal(env.GREETING, 'hello configured $(LEVEL)');
      assert.equal(env.MY_DB_SERVICE_HOST, '10.96.0.20');
      assert.equal(env.MY_DB_SERVICE_PORT_PG, '5432');
      assert.equal(env.MY_DB_PORT, 'tcp://10.96.0.20:5432');
      assert.equal(env.MY_DB_PORT_5432_TCP_ADDR, '10.96.0.20');
      assert.deepEqual(config.command, ['run', '--level=debug', '$(MISSING)']);
      assert.equal(config.annotations['io.kubernetes.container.restartCount'], '0');

      const mount = (path: string) => config.mounts.find((m) => m.containerPath === path)!;
      assert.equal((await stat(mount('/cache').hostPath)).mode & 0o777, 0o777);
      const conf = mount('/etc/app').hostPath;
      assert.equal(await readFile(join(conf, 'app.conf'), 'utf8'), 'x=1');
      assert.equal(await readlink(join(conf, 'app.conf')), '..data/app.conf');
      assert.equal((await stat(join(conf, 'app.conf'))).mode & 0o777, 0o600);
      const sa = mount('/var/run/secrets/kubernetes.io/serviceaccount');
      assert.equal(sa.readonly, true);
      assert.equal(await readFile(join(sa.hostPath, 'namespace'), 'utf8'), 'default');
      assert.equal(await readFile(join(sa.hostPath, 'ca.crt'), 'utf8'), 'CERT');
      assert.ok((await readFile(join(sa.hostPath, 'token'), 'utf8')).length > 0);
      const hosts = await readFile(mount('/etc/hosts').hostPath, 'utf8');
      assert.ok(hosts.startsWith('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n'));
      assert.ok(hosts.endsWith(`${ip}\tweb-0.web.default.svc.cluster.local\tweb-0\n`), hosts);
      const termination = mount('/dev/termination-log');
      assert.equal((await stat(termination.hostPath)).mode & 0o777, 0o666);

      const sandboxCall = (h.runtime as unknown as { sandboxes: Map<string, { config: import('../../src/runtime/types.js').PodSandboxConfig }> }).sandboxes;
      const sandbox = [...sandboxCall.values()][0]!.config;
      assert.equal(sandbox.hostname, 'web-0');
      assert.deepEqual(sandbox.dnsConfig, {
        servers: ['10.96.0.10'],
        searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        options: ['ndots:5'],
      });
      assert.equal(sandbox.labels['io.kubernetes.pod.uid'], uid);
    } finally {
      await h.close();
    }
  });

  test('a host-network pod uses the node IP, keeps the node /etc/hosts and maps no pod IP', async () => {
    const h = await createHarness();
    try {
      const pod = h.add(
        makePod('on-host', {
          hostNetwork: true,
          containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 8080, hostPort: 8080 }], env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }],
        }),
      );
      await h.advance(3000);
      const internals = h.runtime as unknown as {
        containers: Map<string, { config: import('../../src/runtime/types.js').ContainerConfig }>;
        sandboxes: Map<string, { config: import('../../src/runtime/types.js').PodSandboxConfig }>;
      };
      const config = [...internals.containers.values()][0]!.config;
      assert.deepEqual(config.env, [{ name: 'IP', value: '192.168.1.10' }]);
      assert.ok(!config.mounts.some((m) => m.containerPath === '/etc/hosts'));
      const sandbox = [...internals.sandboxes.values()][0]!.config;
      assert.equal(sandbox.hostNetwork, true);
      assert.deepEqual(sandbox.portMappings, [{ protocol: 'TCP', containerPort: 8080, hostPort: 8080 }]);
      assert.equal(h.api.lastStatus(pod.metadata.uid!)!.podIP, '192.168.1.10');
      assert.equal(h.runtime.callsMatching(['runPodSandbox']).length, 1);
    } finally {
      await h.close();
    }
  });

  test('logs: the current and the previous instance, and the errors when there is none', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, (_c, n) => (n === 0 ? { exitAfterMs: 1000, exitCode: 1, logLines: ['first'] } : { logLines: ['second'] }));
      h.runtime.failPull('gone:1', 'not found');
      const pod = h.add(makePod('logged', { containers: [{ name: 'app', image: 'app:1' }, { name: 'nope', image: 'gone:1' }] }));
      const uid = pod.metadata.uid!;
      await h.advance(500);
      await assert.rejects(h.kubelet.logPath(uid, 'app', true), { message: 'previous terminated container "app" in pod "logged" not found' });
      await h.advance(4500);
      const current = await h.kubelet.logPath(uid, 'app', false);
      const previous = await h.kubelet.logPath(uid, 'app', true);
      assert.ok(current.endsWith('/logs/default_logged_' + uid + '/app/1.log'), current);
      assert.ok(previous.endsWith('/app/0.log'), previous);
      assert.match(await readFile(current, 'utf8'), / stdout F second\n$/);
      assert.match(await readFile(previous, 'utf8'), / stdout F first\n$/);
      await assert.rejects(h.kubelet.logPath(uid, 'nope', false), { message: 'container "nope" in pod "logged" is waiting to start: trying and failing to pull image' });
      await assert.rejects(h.kubelet.logPath(uid, 'other', false), { message: 'container "other" in pod "logged" is not available' });
      assert.equal(await h.kubelet.containerId(pod, 'app'), (await h.runtime.listContainers({ state: 'RUNNING' }))[0]!.id);
    } finally {
      await h.close();
    }
  });

  test('§3.5 when the runtime lost a container\'s history, the restart count continues from its log files', async () => {
    const h = await createHarness();
    try {
      h.runtime.behave({ name: 'app' }, (_c, n) => (n === 0 ? { exitAfterMs: 500, exitCode: 1, logLines: ['a'] } : { logLines: ['b'] }));
      const pod = h.add(makePod('counted', { containers: [{ name: 'app', image: 'app:1' }] }));
      await h.advance(3000);
      for (const c of await h.runtime.listContainers()) await h.runtime.removeContainer(c.id);
      await h.advance(3000);
      const [instance] = await h.runtime.listContainers({ state: 'RUNNING' });
      assert.equal(instance!.annotations['io.kubernetes.container.restartCount'], '2');
      assert.equal(h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.restartCount, 2);
    } finally {
      await h.close();
    }
  });

  test('§3.3 a missing ConfigMap key keeps the container waiting with CreateContainerConfigError', async () => {
    const h = await createHarness();
    try {
      h.config.configMaps.set('default/settings', { data: {} });
      const pod = h.add(
        makePod('misconfigured', {
          containers: [{ name: 'app', image: 'app:1', env: [{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } }] }],
        }),
      );
      await h.advance(3000);
      const waiting = h.api.lastStatus(pod.metadata.uid!)!.containerStatuses![0]!.state!.waiting!;
      assert.deepEqual(waiting, { reason: 'CreateContainerConfigError', message: "couldn't find key LEVEL in ConfigMap default/settings" });
      assert.ok(h.events.find('Failed', "Error: couldn't find key LEVEL in ConfigMap default/settings"));
      assert.equal(h.runtime.callsMatching(['createContainer']).length, 0);
    } finally {
      await h.close();
    }
  });

  test('§3.3 §5.3 §9.3 image pull policy: Never with a missing image, and pull failures backing off', async () => {
    const h = await createHarness();
    try {
      h.runtime.failPull('private/app:2', 'rpc error: code = NotFound desc = failed to resolve reference');
      const pod = h.add(
        makePod('images', {
          containers: [
            { name: 'never', image: 'absent:1', imagePullPolicy: 'Never' },
            { name: 'pulled', image: 'private/app:2', imagePullPolicy: 'IfNotPresent' },
          ],
        }),
      );
      await h.advance(5000);
      const uid = pod.metadata.uid!;
      const byName = Object.fromEntries(h.api.lastStatus(uid)!.containerStatuses!.map((c) => [c.name, c.state!.waiting]));
      assert.deepEqual(byName.never, { reason: 'ErrImageNeverPull', message: 'Container image "absent:1" is not present with pull policy of Never' });
      assert.equal(byName.pulled!.reason, 'ImagePullBackOff');
      assert.equal(byName.pulled!.message, 'Back-off pulling image "private/app:2": ErrImagePull: rpc error: code = NotFound desc = failed to resolve reference');
      assert.ok(h.events.find('Failed', 'Failed to pull image "private/app:2": rpc error: code = NotFound desc = failed to resolve reference'));
      assert.ok(h.events.find('Failed', 'Error: ErrImagePull'));
      assert.ok(h.events.find('BackOff', 'Back-off pulling image "private/app:2"'));
      assert.equal(h.runtime.callsMatching(['pullImage private/app:2']).length, 1);
    } finally {
      await h.close();
    }
  });
});
