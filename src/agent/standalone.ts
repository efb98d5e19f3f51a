// `k8ts agent`: a node agent in its own process, joining a cluster through a kubeconfig. It signs
// its own serving certificate (the API server does not verify agents' certificates, as Kubernetes
// without --kubelet-certificate-authority) and accepts only clients of the cluster's CA.

import { join } from 'node:path';
import { mkdirSync, readFileSync } from 'node:fs';
import { ApiClient, type ClientConfig } from '../client/client.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { createCa, issueCertificate } from '../apiserver/pki.js';
import { realClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { NodeAgent } from './node-agent.js';
import { createProcessNode } from './process-node.js';
import { requestServiceAccountToken } from './tokens.js';

export interface StandaloneAgentOptions {
  /** How to reach the API: a kubeconfig (and context), or a server URL with a bearer token and CA file. */
  connection: { kubeconfig: string; context?: string } | { server: string; token: string; caFile: string };
  nodeName: string;
  dataDir: string;
  /** The node's address: where the agent listens and what the Node reports as InternalIP. */
  address: string;
  port: number;
  podCIDR: string;
  log: Logger;
}

export async function startStandaloneAgent(opts: StandaloneAgentOptions): Promise<{ stop(): Promise<void> }> {
  const c = opts.connection;
  const config: ClientConfig =
    'kubeconfig' in c ? loadKubeconfig(c.kubeconfig, c.context) : { server: c.server, token: c.token, ca: readFileSync(c.caFile, 'utf8') };
  const client = new ApiClient({ ...config, userAgent: `k8ts-agent/${opts.nodeName}` });
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const processNode = await createProcessNode({ dataDir: opts.dataDir, podCIDR: opts.podCIDR });
  try {
    const localCa = await createCa(`k8ts-agent-${opts.nodeName}`);
    const serving = await issueCertificate(localCa, {
      commonName: `system:node:${opts.nodeName}`,
      organizations: ['system:nodes'],
      hosts: ['localhost', opts.address],
      usage: 'server',
    });
    const agent = new NodeAgent({
      client,
      nodeName: opts.nodeName,
      runtime: processNode.runtime,
      clock: realClock,
      rootDir: join(opts.dataDir, 'agent'),
      nodeIPs: [opts.address],
      listen: { host: opts.address, port: opts.port },
      tls: { ca: config.ca, serving },
      podCIDR: opts.podCIDR,
      tokenSource: (pod, audience, expirationSeconds) => requestServiceAccountToken(client, pod, audience, expirationSeconds),
      log: opts.log,
    });
    await agent.start();
    return {
      async stop() {
        await agent.stop();
        await processNode.shutdown();
        client.close();
      },
    };
  } catch (err) {
    await processNode.shutdown();
    client.close();
    throw err;
  }
}
