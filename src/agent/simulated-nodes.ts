// Simulated nodes: the real node agent on the fake runtime, with no processes. Containers run until
// stopped (scripted behaviours per image come from the fake runtime), probes succeed, and every
// rule of the lifecycle still applies. They make DaemonSets, node loss and scheduling at 10 to
// 1,000 nodes testable on one machine.

import { join } from 'node:path';
import type { ApiClient } from '../client/client.js';
import { FakeRuntime } from '../runtime/fake/index.js';
import type { ProbeNetwork } from '../kubelet/network.js';
import type { KeyPair } from '../apiserver/pki.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { NodeAgent } from './node-agent.js';
import { requestServiceAccountToken } from './tokens.js';

/** Probes of simulated pods reach nothing real: every check answers healthy. */
export const healthyProbeNetwork: ProbeNetwork = {
  async httpGet() {
    return { statusCode: 200, body: Buffer.from('ok') };
  },
  async tcpConnect() {},
  async grpcHealthCheck() {
    return 'SERVING';
  },
};

export interface SimulatedNodesOptions {
  client: ApiClient;
  count: number;
  clock: Clock;
  rootDir: string;
  tls: { ca: string; serving: KeyPair };
  namePrefix?: string;
  log: Logger;
}

export interface SimulatedNodes {
  agents: NodeAgent[];
  runtimes: FakeRuntime[];
  stop(): Promise<void>;
}

export async function startSimulatedNodes(opts: SimulatedNodesOptions): Promise<SimulatedNodes> {
  const agents: NodeAgent[] = [];
  const runtimes: FakeRuntime[] = [];
  const prefix = opts.namePrefix ?? 'sim';
  const stop = async () => {
    await Promise.all(agents.map((a) => a.stop()));
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      const name = `${prefix}-${i}`;
      const runtime = new FakeRuntime({ clock: opts.clock, writeLogs: true });
      const agent = new NodeAgent({
        client: opts.client,
        nodeName: name,
        runtime,
        clock: opts.clock,
        rootDir: join(opts.rootDir, name),
        nodeIPs: ['127.0.0.1'],
        tls: opts.tls,
        network: healthyProbeNetwork,
        labels: { 'k8ts.io/simulated': 'true' },
        tokenSource: (pod, audience, expirationSeconds) => requestServiceAccountToken(opts.client, pod, audience, expirationSeconds),
        log: opts.log.child(name),
      });
      await agent.start();
      agents.push(agent);
      runtimes.push(runtime);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { agents, runtimes, stop };
}
