// Kubeconfig files: the cluster's own (in the data directory) and a merge of a `k8ts` cluster,
// user and context into the user's kubeconfig that keeps everything else that is there.

import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { parse, stringify } from 'yaml';

export interface KubeconfigCredentials {
  name: string;
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named<Record<string, unknown>>[];
  users?: Named<Record<string, unknown>>[];
  contexts?: Named<Record<string, unknown>>[];
  'current-context'?: string;
  preferences?: Record<string, unknown>;
  [key: string]: unknown;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function entries(c: KubeconfigCredentials) {
  const user: Record<string, unknown> = c.token
    ? { token: c.token }
    : { 'client-certificate-data': b64(c.certPem ?? ''), 'client-key-data': b64(c.keyPem ?? '') };
  return {
    cluster: { name: c.name, cluster: { server: c.server, 'certificate-authority-data': b64(c.caPem) } },
    user: { name: c.name, user },
    context: { name: c.name, context: { cluster: c.name, user: c.name } },
  };
}

export function renderKubeconfig(c: KubeconfigCredentials): string {
  const e = entries(c);
  const doc: KubeconfigDoc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [e.cluster],
    users: [e.user],
    contexts: [e.context],
    'current-context': c.name,
    preferences: {},
  };
  return stringify(doc);
}

function writePrivateAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function writeKubeconfig(path: string, c: KubeconfigCredentials): void {
  writePrivateAtomically(path, renderKubeconfig(c));
}

/** The kubeconfig kubectl reads: the first file of $KUBECONFIG, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KUBECONFIG?.split(':').find(Boolean);
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

function upsert(list: Named<Record<string, unknown>>[] | undefined, item: Named<Record<string, unknown>>) {
  const out = (list ?? []).filter((x) => x && x.name !== item.name);
  out.push(item);
  return out;
}

/** Adds or replaces the cluster/user/context named `c.name` and makes it current. */
export function mergeIntoKubeconfig(path: string, c: KubeconfigCredentials): void {
  let doc: KubeconfigDoc = { apiVersion: 'v1', kind: 'Config' };
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    const parsed = text.trim() ? (parse(text) as KubeconfigDoc | null) : null;
    if (parsed && typeof parsed === 'object') doc = parsed;
  }
  const e = entries(c);
  doc.apiVersion ??= 'v1';
  doc.kind ??= 'Config';
  doc.clusters = upsert(doc.clusters, e.cluster);
  doc.users = upsert(doc.users, e.user);
  doc.contexts = upsert(doc.contexts, e.context);
  doc['current-context'] = c.name;
  writePrivateAtomically(path, stringify(doc));
}
