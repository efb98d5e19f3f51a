// Registry credentials from a pod's image pull secrets, matched to an image as the kubelet's
// credential keyring does: entries keyed by registry host (globs like `*.example.com`, an optional
// port and path prefix), every matching entry tried, the most specific key first.

import type { PullAuth } from '../runtime/types.js';
import { parseImageReference, repositoryName } from '../images/reference.js';

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CFG_TYPE = 'kubernetes.io/dockercfg';

export interface PullSecret {
  type?: string;
  data?: Record<string, string>;
}

interface Entry {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
}

const DEFAULT_REGISTRY_HOST = 'index.docker.io';

export class CredentialKeyring {
  private readonly creds = new Map<string, PullAuth[]>();

  /** Adds the entries of a dockerconfigjson or dockercfg secret; other types and bad JSON add nothing. */
  addSecret(secret: PullSecret): void {
    const config = secretConfig(secret);
    if (!config) return;
    for (const [location, entry] of Object.entries(config)) {
      if (!entry || typeof entry !== 'object') continue;
      const key = keyOf(location);
      if (!key) continue;
      const auth = toPullAuth(entry as Entry);
      const list = this.creds.get(key) ?? [];
      list.push(auth);
      this.creds.set(key, list);
    }
  }

  /** Credentials for an image, most specific key first; empty when none matches. */
  lookup(image: string): PullAuth[] {
    let repository: string;
    try {
      repository = repositoryName(parseImageReference(image));
    } catch {
      return [];
    }
    const keys = [...this.creds.keys()].sort().reverse();
    const found = keys.filter((k) => keyMatches(k, repository)).flatMap((k) => this.creds.get(k)!);
    if (found.length > 0) return found;
    if (repository.startsWith('docker.io/')) return this.creds.get(DEFAULT_REGISTRY_HOST) ?? [];
    return [];
  }
}

function secretConfig(secret: PullSecret): Record<string, unknown> | undefined {
  const field = secret.type === DOCKER_CONFIG_JSON_TYPE ? '.dockerconfigjson' : secret.type === DOCKER_CFG_TYPE ? '.dockercfg' : undefined;
  const encoded = field ? secret.data?.[field] : undefined;
  if (!encoded) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    const config = secret.type === DOCKER_CONFIG_JSON_TYPE ? parsed?.auths : parsed;
    return config && typeof config === 'object' ? config : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The kubelet sends no server address: containerd drops credentials whose address does not parse
 * as a URL of the pulled host, and a keyring key (`127.0.0.1:5000`) is no URL.
 */
function toPullAuth(entry: Entry): PullAuth {
  let { username, password } = entry;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  return { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(entry.auth ? { auth: entry.auth } : {}) };
}

/** `https://index.docker.io/v1/` → `index.docker.io`; `registry:5000/team` → `registry:5000/team`. */
function keyOf(location: string): string | undefined {
  const withScheme = /^https?:\/\//.test(location) ? location : `https://${location}`;
  let url: URL;
  try {
    url = new URL(withScheme.replace('://*.', '://wildcard-placeholder.'));
  } catch {
    return undefined;
  }
  const host = url.host.replace('wildcard-placeholder.', '*.');
  let path = url.pathname;
  if (path.startsWith('/v1/') || path.startsWith('/v2/')) path = path.slice(3);
  path = path.replace(/\/+$/, '');
  return path && path !== '/' ? `${host}${path}` : host;
}

function splitHost(hostAndPath: string): { host: string; port: string; path: string } {
  const slash = hostAndPath.indexOf('/');
  const hostPort = slash < 0 ? hostAndPath : hostAndPath.slice(0, slash);
  const path = slash < 0 ? '' : hostAndPath.slice(slash);
  const colon = hostPort.lastIndexOf(':');
  return colon < 0 ? { host: hostPort, port: '', path } : { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1), path };
}

function keyMatches(key: string, repository: string): boolean {
  const glob = splitHost(key);
  const target = splitHost(repository);
  if (glob.port !== target.port) return false;
  const globParts = glob.host.split('.');
  const targetParts = target.host.split('.');
  if (globParts.length !== targetParts.length) return false;
  if (!globParts.every((g, i) => globMatch(g, targetParts[i]))) return false;
  return target.path.startsWith(glob.path);
}

function globMatch(glob: string, value: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*').replace(/\?/g, '[^.]')}$`);
  return re.test(value);
}
