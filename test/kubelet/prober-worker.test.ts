import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, ObjectReference, Pod, PodStatus } from '../../src/api/types.js';
import type { ExecResult, Runtime } from '../../src/runtime/types.js';
import type { GrpcServingStatus, HttpGetRequest, HttpGetResponse, ProbeNetwork } from '../../src/kubelet/network.js';
import { killGracePeriodSeconds, ProbeManager, type ProbeKind } from '../../src/kubelet/prober/manager.js';
import { FakeClock, rfc3339 } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const sec = (s: number) => s * 1000;

interface Event { ref: ObjectReference; type: string; reason: string; message: string; at: number }

/** A scripted node: the network, the runtime's execSync, events, and a status loop like the sync loop's. */
class Harness {
  readonly clock = new FakeClock(T0);
  readonly events: Event[] = [];
  readonly changes: [ProbeKind, string, number][] = [];
  readonly calls: { what: string; at: number; req?: HttpGetRequest }[] = [];
  http: (req: HttpGetRequest) => HttpGetResponse | Error = () => ({ statusCode: 200, body: Buffer.from('ok') });
  tcp: () => Error | undefined = () => undefined;
  grpc: () => GrpcServingStatus = () => 'SERVING';
  exec: (cmd: string[], timeout: number) => ExecResult | Error = () => ({ exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
  readonly manager: ProbeManager;
  /** Current container instance: id and start time, or undefined before it exists. */
  instance: { id: string; startedAt: number; running: boolean } | undefined;
  status: PodStatus | undefined;

  constructor(public pod: Pod, random = () => 0) {
    const network: ProbeNetwork = {
      httpGet: async (req) => {
        this.calls.push({ what: 'http', at: this.clock.now(), req });
        const r = this.http(req);
        if (r instanceof Error) throw r;
        return r;
      },
      tcpConnect: async () => {
        this.calls.push({ what: 'tcp', at: this.clock.now() });
        const e = this.tcp();
        if (e) throw e;
      },
      grpcHealthCheck: async () => {
        this.calls.push({ what: 'grpc', at: this.clock.now() });
        return this.grpc();
      },
    };
    const runtime = {
      execSync: async (_id: string, cmd: string[], timeout: number) => {
        this.calls.push({ what: 'exec', at: this.clock.now() });
        const r = this.exec(cmd, timeout);
        if (r instanceof Error) throw r;
        return r;
      },
    } as unknown as Runtime;
    this.manager = new ProbeManager({
      runtime,
      clock: this.clock,
      network,
      recorder: { event: (ref, type, reason, message) => this.events.push({ ref, type, reason, message, at: this.clock.now() - T0 }) },
      podIP: () => '10.0.0.5',
      onResultChange: (_uid, kind, name) => {
        this.changes.push([kind, name, (this.clock.now() - T0) / 1000]);
        this.sync();
      },
      random,
    });
  }

  /** What the sync loop does: build a status from the runtime, let the prober fill started/ready. */
  sync(): PodStatus {
    const c = this.instance;
    const state = !c ? { waiting: { reason: 'ContainerCreating' } } : c.running ? { running: { startedAt: rfc3339(c.startedAt) } } : { terminated: { exitCode: 1 } };
    const status: PodStatus = {
      phase: 'Running',
      podIP: '10.0.0.5',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x', imageID: '', state, ...(c ? { containerID: `fake://${c.id}` } : {}) }],
    };
    this.manager.updatePodStatus(this.pod, status);
    this.status = status;
    return status;
  }

  startContainer(id: string): void {
    this.instance = { id, startedAt: this.clock.now(), running: true };
    this.sync();
  }

  /** Readiness in the last status the loop computed (reading it must not trigger probes). */
  get ready(): boolean {
    return this.status!.containerStatuses![0]!.ready;
  }

  get started(): boolean | undefined {
    return this.status?.containerStatuses![0]!.started;
  }

  times(what: string): number[] {
    return this.calls.filter((c) => c.what === what).map((c) => (c.at - T0) / 1000);
  }

  /** Advance to an absolute second since T0. */
  async at(s: number): Promise<void> {
    await this.clock.advance(T0 + sec(s) - this.clock.now());
  }
}

function podWith(container: Partial<Container>, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...meta },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'x', ...container }] },
  };
}

let current: Harness | undefined;
function harness(pod: Pod, random?: () => number): Harness {
  current = new Harness(pod, random);
  return current;
}
afterEach(() => {
  current?.manager.stop();
  current = undefined;
});

describe('readiness', () => {
  test('§6.2 not ready until the first success after initialDelay; then flips with the threshold', async () => {
    const h = harness(podWith({ readinessProbe: { exec: { command: ['check'] }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 2 } }));
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.equal(h.ready, false);
    assert.deepEqual(h.times('exec'), []);
    await h.at(9);
    assert.equal(h.ready, false);
    await h.at(10);
    assert.deepEqual(h.times('exec'), [10]);
    assert.equal(h.ready, true);
    assert.deepEqual(h.changes, [['readiness', 'app', 10]]);

    h.exec = () => ({ exitCode: 1, stdout: Buffer.from('not yet\n'), stderr: Buffer.alloc(0), timedOut: false });
    await h.at(20);
    assert.equal(h.ready, true, 'one failure is below failureThreshold 2');
    await h.at(30);
    assert.equal(h.ready, false);
    // Turning unready re-syncs the pod, and a status computed for an unready container probes again at once.
    assert.deepEqual(h.times('exec'), [10, 20, 30, 30]);
    assert.deepEqual(h.changes, [['readiness', 'app', 10], ['readiness', 'app', 30]]);
    assert.deepEqual(
      h.events.map((e) => [e.at / 1000, e.type, e.reason, e.message, e.ref.fieldPath]),
      [
        [20, 'Warning', 'Unhealthy', 'Readiness probe failed: not yet\n', 'spec.containers{app}'],
        [30, 'Warning', 'Unhealthy', 'Readiness probe failed: not yet\n', 'spec.containers{app}'],
        [30, 'Warning', 'Unhealthy', 'Readiness probe failed: not yet\n', 'spec.containers{app}'],
      ],
    );
    await h.at(40);
    assert.deepEqual(h.times('exec'), [10, 20, 30, 30, 40], 'the period restarted from the extra run');
  });

  test('§6.2 steady successes: one change on the flip to ready, then none and no events', async () => {
    const h = harness(podWith({ readinessProbe: { exec: { command: ['check'] }, periodSeconds: 10 } }));
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(100);
    assert.deepEqual(h.times('exec'), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert.deepEqual(h.changes, [['readiness', 'app', 0]], 'only the flip asks for a re-sync');
    assert.deepEqual(h.events, []);
    assert.equal(h.ready, true);
  });

  test('§6.2 computing status of a started, unready container probes readiness at once and restarts the period', async () => {
    const h = harness(podWith({ readinessProbe: { exec: { command: ['check'] }, periodSeconds: 10 } }));
    h.exec = () => ({ exitCode: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(4);
    assert.deepEqual(h.times('exec'), [0]);
    h.sync();
    await h.at(5);
    assert.deepEqual(h.times('exec'), [0, 4]);
    await h.at(13);
    assert.deepEqual(h.times('exec'), [0, 4]);
    await h.at(14);
    assert.deepEqual(h.times('exec'), [0, 4, 14]);
  });
});

describe('liveness', () => {
  test('§6.2 scenario 03: fails after exactly failureThreshold × period of errors, then holds', async () => {
    const h = harness(podWith({ livenessProbe: { httpGet: { path: '/healthz', port: 8080, httpHeaders: [{ name: 'Custom-Header', value: 'Awesome' }] }, initialDelaySeconds: 3, periodSeconds: 3 } }));
    h.http = () => (h.clock.now() - T0 < sec(10) ? { statusCode: 200, body: Buffer.from('ok') } : { statusCode: 500, body: Buffer.from('error: 10') });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(17);
    assert.equal(h.manager.result('c1', 'liveness'), 'success');
    await h.at(18);
    assert.equal(h.manager.result('c1', 'liveness'), 'failure');
    assert.equal(h.manager.result('fake://c1', 'liveness'), 'failure');
    assert.deepEqual(h.times('http'), [3, 6, 9, 12, 15, 18]);
    assert.deepEqual(h.changes, [['liveness', 'app', 18]]);
    assert.deepEqual(h.events.map((e) => [e.at / 1000, e.message]), [
      [12, 'Liveness probe failed: HTTP probe failed with statuscode: 500'],
      [15, 'Liveness probe failed: HTTP probe failed with statuscode: 500'],
      [18, 'Liveness probe failed: HTTP probe failed with statuscode: 500'],
    ]);
    const req = h.calls[0]!.req!;
    assert.equal(req.host, '10.0.0.5');
    assert.equal(req.port, 8080);
    assert.equal(req.path, '/healthz');
    assert.deepEqual(req.headers, [['Custom-Header', 'Awesome'], ['User-Agent', 'kube-probe/1.33'], ['Accept', '*/*']]);
    assert.equal(req.timeoutMs, 1000);

    await h.at(30);
    assert.equal(h.times('http').length, 6, 'on hold until a new container appears');

    h.http = () => ({ statusCode: 200, body: Buffer.alloc(0) });
    await h.at(31);
    h.startContainer('c2');
    await h.at(33);
    assert.equal(h.manager.result('c2', 'liveness'), 'success');
    assert.equal(h.manager.result('c1', 'liveness'), undefined);
    assert.equal(h.times('http').length, 6, 'the new container is within its initial delay (2 s < 3 s)');
    await h.at(36);
    assert.deepEqual(h.times('http').slice(6), [36]);
  });

  test('§6.3 a prober error is retried at once, reported, and does not count', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['check'] }, failureThreshold: 1 } }));
    h.exec = () => new Error('container not found');
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.equal(h.times('exec').length, 3);
    assert.equal(h.manager.result('c1', 'liveness'), 'success');
    assert.deepEqual(h.events.map((e) => e.message), ['Liveness probe errored and resulted in unknown state: container not found']);
  });

  test('§6.3 an exec timeout is a failure with the command in the output', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['sh', '-c', 'sleep $(T)'] }, timeoutSeconds: 2, failureThreshold: 1 }, env: [{ name: 'T', value: '5' }] }));
    let seen: [string[], number] | undefined;
    h.exec = (cmd, timeout) => {
      seen = [cmd, timeout];
      return { exitCode: -1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: true };
    };
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.deepEqual(seen, [['sh', '-c', 'sleep 5'], 2]);
    assert.equal(h.manager.result('c1', 'liveness'), 'failure');
    assert.deepEqual(h.events.map((e) => e.message), ['Liveness probe failed: command "sh -c sleep 5" timed out']);
  });

  test('§6.3 exec output is capped at 10 KiB', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['check'] } } }));
    h.exec = () => ({ exitCode: 1, stdout: Buffer.alloc(8 * 1024, 'a'), stderr: Buffer.alloc(8 * 1024, 'b'), timedOut: false });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    const message = h.events[0]!.message;
    assert.equal(message.length, 'Liveness probe failed: '.length + 10 * 1024);
    assert.ok(message.endsWith('b'.repeat(2 * 1024)));
  });

  test('§6.2 a deleted pod: liveness reports success and stops', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['check'] }, failureThreshold: 1 } }));
    h.exec = () => ({ exitCode: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.equal(h.manager.result('c1', 'liveness'), 'failure');
    h.startContainer('c2');
    h.pod = podWith(h.pod.spec.containers[0]!, { deletionTimestamp: '2026-01-01T00:01:00Z' });
    h.sync();
    await h.at(10);
    assert.equal(h.manager.result('c2', 'liveness'), undefined, 'the stopped worker forgets its result');
    await h.at(40);
    assert.equal(h.times('exec').length, 1);
  });
});

describe('startup', () => {
  test('§6.2 scenario 05: startup first probes at 60 s, then readiness every 10 s; liveness waits too', async () => {
    const h = harness(
      podWith({
        startupProbe: { initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 6, tcpSocket: { port: 80 } },
        livenessProbe: { timeoutSeconds: 3, httpGet: { path: '/info.php', port: 80 } },
        readinessProbe: { failureThreshold: 3, periodSeconds: 10, exec: { command: ['sh', '-c', 'check'] } },
      }),
    );
    let version = 0;
    h.exec = () => ({ exitCode: version > 2 ? 0 : 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(59);
    assert.deepEqual(h.times('tcp'), []);
    assert.deepEqual(h.times('exec'), []);
    assert.deepEqual(h.times('http'), []);
    assert.equal(h.ready, false);
    assert.equal(h.started, false);
    await h.at(60);
    assert.deepEqual(h.times('tcp'), [60]);
    assert.equal(h.started, true);
    assert.equal(h.ready, false);
    await h.at(75);
    version = 3;
    await h.at(79);
    assert.equal(h.ready, false);
    await h.at(80);
    assert.equal(h.ready, true);
    assert.deepEqual(h.times('exec'), [60, 70, 80]);
    assert.deepEqual(h.times('http'), [60, 70, 80]);
    await h.at(120);
    assert.deepEqual(h.times('tcp'), [60], 'startup stops probing once started');
    const http = h.calls.find((c) => c.what === 'http')!.req!;
    assert.equal(http.timeoutMs, 3000);
    assert.equal(http.path, '/info.php');
  });

  test('§6.2 §6.4 startup failure threshold: failure result, events, then on hold', async () => {
    const h = harness(podWith({ startupProbe: { tcpSocket: { port: 80 }, periodSeconds: 5, failureThreshold: 3 } }));
    h.tcp = () => new Error('dial tcp 10.0.0.5:80: connect: connection refused');
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(9);
    assert.equal(h.manager.result('c1', 'startup'), undefined);
    await h.at(10);
    assert.equal(h.manager.result('c1', 'startup'), 'failure');
    assert.deepEqual(h.times('tcp'), [0, 5, 10]);
    assert.equal(h.events.length, 3);
    assert.equal(h.events[0]!.message, 'Startup probe failed: dial tcp 10.0.0.5:80: connect: connection refused');
    assert.deepEqual(h.changes, [['startup', 'app', 10]]);
    await h.at(30);
    assert.equal(h.times('tcp').length, 3);
  });

  test('§6.2 §8.3 podTerminating stops liveness and startup; readiness keeps probing', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['l'] } }, readinessProbe: { exec: { command: ['r'] } } }));
    const seen: string[] = [];
    h.exec = (cmd) => {
      seen.push(cmd[0]!);
      return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), timedOut: false };
    };
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.deepEqual(seen.sort(), ['l', 'r']);
    h.manager.podTerminating(h.pod);
    seen.length = 0;
    await h.at(30);
    assert.deepEqual(seen, ['r', 'r', 'r']);
    assert.equal(h.manager.result('c1', 'liveness'), undefined);
  });
});

describe('workers', () => {
  test('§6.2 right after the agent starts, the first probe waits a random part of the period', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['l'] }, periodSeconds: 10 } }), () => 0.5);
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(4);
    assert.deepEqual(h.times('exec'), []);
    await h.at(25);
    assert.deepEqual(h.times('exec'), [5, 15, 25]);
  });

  test('§6.2 a terminated container under Never ends the worker; addPod is idempotent', async () => {
    const pod = podWith({ livenessProbe: { exec: { command: ['l'] } } });
    pod.spec.restartPolicy = 'Never';
    const h = harness(pod);
    h.manager.addPod(h.pod);
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.deepEqual(h.times('exec'), [0]);
    h.instance!.running = false;
    h.sync();
    await h.at(10);
    assert.equal(h.manager.result('c1', 'liveness'), undefined);
    const timers = h.clock.timerCount;
    await h.at(40);
    assert.deepEqual(h.times('exec'), [0]);
    assert.equal(timers, 0);
  });

  test('§6.3 §6.4 a 3xx answer is a success with a ProbeWarning', async () => {
    const h = harness(podWith({ readinessProbe: { httpGet: { port: 'web', path: '/' } }, ports: [{ name: 'web', containerPort: 8080 }] }));
    h.http = () => ({ statusCode: 302, body: Buffer.from('moved'), location: 'http://elsewhere/' });
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.equal(h.ready, true);
    assert.deepEqual(h.events.map((e) => [e.reason, e.message]), [['ProbeWarning', 'Readiness probe warning: Probe terminated redirects, Response body: moved']]);
    assert.equal(h.calls[0]!.req!.port, 8080);
  });

  test('§6.3 gRPC: NOT_SERVING is a failure', async () => {
    const h = harness(podWith({ livenessProbe: { grpc: { port: 9000 }, failureThreshold: 1 } }));
    h.grpc = () => 'NOT_SERVING';
    h.manager.addPod(h.pod);
    h.startContainer('c1');
    await h.at(0);
    assert.deepEqual(h.events.map((e) => e.message), ['Liveness probe failed: service unhealthy (responded with "NOT_SERVING")']);
  });

  test('§8.3 removePod stops every worker and leaves no timer', async () => {
    const h = harness(podWith({ livenessProbe: { exec: { command: ['l'] } }, readinessProbe: { exec: { command: ['r'] } }, startupProbe: { exec: { command: ['s'] } } }));
    h.manager.addPod(h.pod);
    assert.equal(h.clock.timerCount, 3);
    h.manager.removePod(h.pod);
    assert.equal(h.clock.timerCount, 0);
  });
});

describe('killGracePeriodSeconds', () => {
  const c: Container = { name: 'app', livenessProbe: { exec: { command: ['x'] }, terminationGracePeriodSeconds: 5 }, startupProbe: { exec: { command: ['x'] } } };
  test('§8.3 deletion grace wins, then the probe’s own, then the pod’s', () => {
    const pod = podWith(c);
    assert.equal(killGracePeriodSeconds(pod, c, 'liveness'), 5);
    assert.equal(killGracePeriodSeconds(pod, c, 'startup'), 30);
    assert.equal(killGracePeriodSeconds(pod, c), 30);
    assert.equal(killGracePeriodSeconds(podWith(c, { deletionGracePeriodSeconds: 12 }), c, 'liveness'), 12);
    const noGrace = podWith(c);
    delete noGrace.spec.terminationGracePeriodSeconds;
    assert.equal(killGracePeriodSeconds(noGrace, c, 'liveness'), 2);
  });
});
