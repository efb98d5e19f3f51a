// Container events of the cri runtime on a real containerd: a container's start and exit arrive as
// events (over CRI GetContainerEvents, or containerd's own event stream where CRI lacks it), an
// exit only once CRI itself reports the container exited, and the stream is reopened after
// containerd was killed and restarted. Then, against a gRPC server of the test's own, the fallback
// from a runtime that serves neither stream and the back-off of a stream that keeps breaking.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { containerdUnavailable, startTestContainerd } from '../helpers/containerd.js';
import { eventually } from '../helpers/cluster.js';
import { containerConfig, sandboxConfig } from '../helpers/runtime-configs.js';
import { CriClient } from '../../src/runtime/cri/client.js';
import { ContainerEventStream, type RawContainerEvent } from '../../src/runtime/cri/container-events.js';
import { codec } from '../../src/runtime/cri/proto.js';
import type { RuntimeContainerEvent } from '../../src/runtime/types.js';
import { safeRemove } from '../../src/util/safe-remove.js';

const unavailable = containerdUnavailable();

test('cri container events: start and exit arrive, after CRI records them; the stream survives a containerd restart', { skip: unavailable ?? false, timeout: 180_000 }, async (t) => {
  const h = await startTestContainerd();
  t.after(() => h.cleanup());
  const events: RuntimeContainerEvent[] = [];
  const exitedWhenTold: string[] = [];
  const unsubscribe = h.runtime.subscribeContainerEvents((e) => {
    events.push(e);
    if (e.type === 'ContainerStopped') {
      void h.runtime.client.runtime('ContainerStatus', { containerId: e.containerId }).then(
        (res) => exitedWhenTold.push(`${e.containerId}:${res.status?.state}`),
        () => exitedWhenTold.push(`${e.containerId}:gone`),
      );
    }
  });
  t.after(unsubscribe);

  const run = async (name: string) => {
    const config = sandboxConfig(name, join(h.dir, 'logs', name), { podUid: `uid-${name}` });
    const sandbox = await h.runtime.runPodSandbox(config);
    const id = await h.runtime.createContainer(sandbox, containerConfig('main', ['sh', '-c', 'sleep 0.3'], { image: h.image }), config);
    await h.runtime.containerStatus(id);
    await h.runtime.startContainer(id);
    return { sandbox, id };
  };

  const first = await run('events-1');
  await eventually(() => events.some((e) => e.containerId === first.id && e.type === 'ContainerStopped'), 30_000, 50, 'the exit event');
  assert.ok(events.some((e) => e.containerId === first.id && e.type === 'ContainerStarted'), 'the start event');
  assert.notEqual(h.runtime.containerEventSource, 'none', `containerd ${(await h.runtime.version()).runtimeVersion} serves container events`);
  const stopped = events.find((e) => e.containerId === first.id && e.type === 'ContainerStopped')!;
  assert.equal(stopped.sandboxId, first.sandbox);
  assert.equal(stopped.podUid, 'uid-events-1');
  await eventually(() => exitedWhenTold.some((x) => x.startsWith(first.id)), 10_000, 20, 'the status asked on the exit event');
  assert.deepEqual(
    exitedWhenTold.filter((x) => x.startsWith(first.id)),
    [`${first.id}:2`],
    'CRI says EXITED (2) by the time the exit event is delivered',
  );

  const pid = h.containerd.pid!;
  const starts = h.containerd.starts;
  process.kill(pid, 'SIGKILL');
  await eventually(() => h.containerd.starts > starts || undefined, 60_000, 100, 'containerd restarted');
  await h.containerd.ready(60_000);
  // Exits while the stream is still being reopened are the relist's; one of these arrives once it is.
  let n = 0;
  await eventually(
    async () => {
      const next = await run(`events-r${n++}`).catch(() => undefined);
      if (!next) return false;
      return eventually(() => events.some((e) => e.containerId === next.id && e.type === 'ContainerStopped'), 3_000, 50).catch(() => false);
    },
    90_000,
    100,
    'an exit event after the restart',
  );
});

/** A RuntimeService of our own: `GetContainerEvents` as the test scripts it, and nothing else. */
async function scriptedServer(getContainerEvents?: grpc.handleServerStreamingCall<unknown, unknown>) {
  const dir = await mkdtemp('/tmp/k8ts-cri-events-');
  const server = new grpc.Server();
  if (getContainerEvents) {
    const req = codec('GetEventsRequest');
    const res = codec('ContainerEventResponse');
    server.addService(
      {
        GetContainerEvents: {
          path: '/runtime.v1.RuntimeService/GetContainerEvents',
          requestStream: false,
          responseStream: true,
          requestSerialize: (v: object) => req.encode(v),
          requestDeserialize: (b: Buffer) => req.decode(b),
          responseSerialize: (v: object) => res.encode(v),
          responseDeserialize: (b: Buffer) => res.decode(b),
        },
      },
      { GetContainerEvents: getContainerEvents },
    );
  }
  const socket = join(dir, 'cri.sock');
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    client: new CriClient(`unix://${socket}`),
    async stop() {
      server.forceShutdown();
      await safeRemove(dir);
    },
  };
}

test('container events: a runtime serving neither stream leaves the relist alone', async (t) => {
  const s = await scriptedServer();
  t.after(() => s.stop());
  const stream = new ContainerEventStream({ client: s.client });
  t.after(() => s.client.close());
  const unsubscribe = stream.subscribe(() => assert.fail('no event expected'));
  await eventually(() => stream.source === 'none' || undefined, 10_000, 20, 'fallen back twice');
  assert.equal(stream.active, false, 'no stream open, none to be reopened');
  unsubscribe();
});

test('container events: a stream that breaks is reopened with growing back-off, and closed on unsubscribe', async (t) => {
  const opened: number[] = [];
  const s = await scriptedServer((call) => {
    opened.push(Date.now());
    call.write({ containerId: `c${opened.length}`, containerEventType: 2, podSandboxStatus: { id: 'sb', metadata: { uid: 'pod-1' } } });
    setTimeout(() => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'broken' }), 5);
  });
  t.after(() => s.stop());
  t.after(() => s.client.close());
  const errors: Error[] = [];
  const stream = new ContainerEventStream({ client: s.client, initialBackoffMs: 50, maxBackoffMs: 200, onError: (e) => errors.push(e) });
  const seen: RawContainerEvent[] = [];
  const unsubscribe = stream.subscribe((e) => seen.push(e));
  await eventually(() => opened.length >= 4 || undefined, 20_000, 20, 'four streams');
  unsubscribe();
  assert.equal(stream.source, 'cri');
  assert.deepEqual(seen.slice(0, 3), [1, 2, 3].map((n) => ({ type: 'ContainerStopped', containerId: `c${n}`, sandboxId: 'sb', podUid: 'pod-1' })));
  assert.ok(errors.length >= 3, 'each break reported');
  const gaps = opened.slice(1).map((at, i) => at - opened[i]!);
  assert.ok(gaps[0]! >= 50, `first reopen after the initial back-off (${gaps.join(', ')} ms)`);
  assert.ok(gaps[2]! >= 150, `the back-off doubles (${gaps.join(', ')} ms)`);
  const count = opened.length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(opened.length, count, 'no stream reopened after unsubscribe');
  assert.equal(stream.active, false);
});
