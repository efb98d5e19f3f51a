// What the etcd backend is told, and the checks that turn a bad setting into one clear sentence
// before anything connects. Loaded by the command line as well, so it imports nothing heavy.

import { readFileSync } from 'node:fs';

export interface EtcdTlsConfig {
  /** CA bundle that signed the etcd members' serving certificates (default: the system roots). */
  caFile?: string;
  /** Client certificate, for etcd run with --client-cert-auth (with keyFile). */
  certFile?: string;
  keyFile?: string;
}

export interface EtcdStoreConfig {
  /** Client URLs of the etcd members, `http://host:port` or `https://host:port`. */
  endpoints: string[];
  /** Stored keys are `prefix + key`, so several clusters can share one etcd. */
  prefix?: string;
  tls?: EtcdTlsConfig;
  /** How long opening the store keeps trying to reach etcd (default 3 s). */
  dialTimeoutMs?: number;
  /** Deadline of one request, retries included (default 10 s). */
  requestTimeoutMs?: number;
  /** Every interval, history older than one interval is compacted; 0 turns it off (default 5 min). */
  compactIntervalMs?: number;
}

export class EtcdConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdConfigError';
  }
}

/** The endpoint as etcd's client wants it (`scheme://host:port`), or an EtcdConfigError. */
export function parseEndpoint(text: string): { url: string; secure: boolean } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EtcdConfigError(`invalid etcd endpoint ${JSON.stringify(text)}: want a URL such as http://127.0.0.1:2379`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EtcdConfigError(`invalid etcd endpoint ${JSON.stringify(text)}: the scheme must be http or https`);
  }
  if (!url.hostname) throw new EtcdConfigError(`invalid etcd endpoint ${JSON.stringify(text)}: no host`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash || url.username) {
    throw new EtcdConfigError(`invalid etcd endpoint ${JSON.stringify(text)}: only scheme, host and port are allowed`);
  }
  const port = url.port || '2379';
  return { url: `${url.protocol}//${url.hostname}:${port}`, secure: url.protocol === 'https:' };
}

export interface CheckedEtcdConfig {
  endpoints: string[];
  secure: boolean;
  prefix: string;
  credentials?: { rootCertificate?: Buffer; certChain?: Buffer; privateKey?: Buffer };
}

/** Validates the configuration and reads the TLS files; throws EtcdConfigError. */
export function checkEtcdConfig(config: EtcdStoreConfig): CheckedEtcdConfig {
  if (!Array.isArray(config.endpoints) || config.endpoints.length === 0) {
    throw new EtcdConfigError('the etcd store needs at least one endpoint (--etcd-endpoints=http://127.0.0.1:2379)');
  }
  const parsed = config.endpoints.map(parseEndpoint);
  const secure = parsed[0]!.secure;
  if (parsed.some((p) => p.secure !== secure)) {
    throw new EtcdConfigError('etcd endpoints mix http and https: use one scheme for all of them');
  }
  const tls = config.tls ?? {};
  const hasTlsFiles = Boolean(tls.caFile || tls.certFile || tls.keyFile);
  if (hasTlsFiles && !secure) {
    throw new EtcdConfigError('etcd TLS files were given but the endpoints are http: use https:// endpoints');
  }
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) {
    throw new EtcdConfigError('an etcd client certificate needs both --etcd-certfile and --etcd-keyfile');
  }
  const read = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new EtcdConfigError(`cannot read the etcd ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const rootCertificate = read('CA file', tls.caFile);
  const certChain = read('certificate file', tls.certFile);
  const privateKey = read('key file', tls.keyFile);
  const checked: CheckedEtcdConfig = { endpoints: parsed.map((p) => p.url), secure, prefix: config.prefix ?? '' };
  if (hasTlsFiles) {
    checked.credentials = {
      ...(rootCertificate ? { rootCertificate } : {}),
      ...(certChain ? { certChain } : {}),
      ...(privateKey ? { privateKey } : {}),
    };
  }
  return checked;
}
