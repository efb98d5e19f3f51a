// A node agent on the fake runtime (real clock), in a process of its own so that its CPU time and
// memory are its own. Run by node-agent.bench.ts over IPC: it sends `ready`, answers `sample`
// with its CPU time and memory (after GC), and exits on `stop`.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NodeAgent } from '../../src/agent/node-agent.js';
import { ApiClient, type ClientConfig } from '../../src/client/client.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { KeyPair } from '../../src/apiserver/pki.js';
import type { Pod } from '../../src/api/types.js';
import { realClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

export interface AgentConfig {
  client: ClientConfig;
  nodeName: string;
  serving: KeyPair;
}

export interface AgentSample {
  cpuMs: number;
  wallMs: number;
  memory: NodeJS.MemoryUsage;
}

const gc = (globalThis as { gc?: () => void }).gc;
const config = await new Promise<AgentConfig>((resolve) => process.once('message', (m) => resolve(m as AgentConfig)));
const rootDir = mkdtempSync(join(tmpdir(), 'k8ts-bench-agent-'));
const client = new ApiClient(config.client);

/** The kubelet's TokenRequest for a pod's service account, as `k8ts up` wires it. */
async function token(pod: Pod, audience?: string, expirationSeconds?: number): Promise<string> {
  const sa = pod.spec.serviceAccountName || 'default';
  const answer = await client.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(audience ? { audiences: [audience] } : {}),
        expirationSeconds: expirationSeconds ?? 3607,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    },
  });
  return answer.status.token;
}

const agent = new NodeAgent({
  client,
  nodeName: config.nodeName,
  runtime: new FakeRuntime({ clock: realClock }),
  clock: realClock,
  rootDir,
  nodeIPs: ['127.0.0.1'],
  tls: { ca: config.client.ca, serving: config.serving },
  tokenSource: token,
  log: silentLogger,
});
await agent.start();
process.send!('ready');

process.on('message', async (message) => {
  if (message === 'sample') {
    const cpu = process.cpuUsage();
    const wallMs = performance.now();
    gc?.();
    gc?.();
    const sample: AgentSample = { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, memory: process.memoryUsage() };
    process.send!(sample);
  } else if (message === 'stop') {
    await agent.stop();
    client.close();
    safeRemoveSync(rootDir, { unmount: true });
    process.exit(0);
  }
});
