// Reads a kubeconfig file into the client's connection settings (the current or a named context;
// inline *-data fields or file paths relative to the kubeconfig).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ClientConfig } from './client.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

type Entry = Named & { cluster?: Record<string, string>; user?: Record<string, string>; context?: Record<string, string> };

export class KubeconfigError extends Error {}

export function loadKubeconfig(path: string, contextName?: string): ClientConfig {
  let doc: { contexts?: Entry[]; clusters?: Entry[]; users?: Entry[]; 'current-context'?: string };
  try {
    doc = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(err as Error).message}`);
  }
  const name = contextName ?? doc['current-context'];
  const context = doc.contexts?.find((c) => c.name === name)?.context;
  if (!context) throw new KubeconfigError(`kubeconfig ${path} has no context ${JSON.stringify(name ?? '')}`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster?.server) throw new KubeconfigError(`kubeconfig ${path}: cluster ${JSON.stringify(context.cluster)} has no server`);
  const base = dirname(path);
  const material = (data: string | undefined, file: string | undefined): string | undefined => {
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    if (file) return readFileSync(resolve(base, file), 'utf8');
    return undefined;
  };
  const ca = material(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) throw new KubeconfigError(`kubeconfig ${path}: cluster ${JSON.stringify(context.cluster)} names no certificate authority`);
  const cert = material(user['client-certificate-data'], user['client-certificate']);
  const key = material(user['client-key-data'], user['client-key']);
  return {
    server: cluster.server,
    ca,
    ...(cert && key ? { cert, key } : {}),
    ...(user.token ? { token: user.token } : {}),
  };
}
