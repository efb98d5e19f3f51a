// A local OCI registry (Debian's docker-registry) on 127.0.0.1 and a free port, with storage in a
// temporary directory, optionally behind htpasswd (bcrypt) basic authentication, and a push of an
// image's blobs and manifest over the distribution API.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from './cluster.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushImage, type OciImage, type RegistryCredentials } from '../../src/images/index.js';

export interface TestRegistry {
  /** host:port */
  host: string;
  /** Pushes a built image as `repository:tag` (`k8ts/busybox:1.28`); returns `host/repository:tag`. */
  pushImage(name: string, image: OciImage): Promise<string>;
  /** The account pushes use when the registry requires authentication. */
  credentials?: RegistryCredentials;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  /** Require basic authentication with this account (htpasswd file, bcrypt). */
  credentials?: RegistryCredentials;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An htpasswd line with a bcrypt hash: `htpasswd -nbB` when installed, else the C library's crypt(3) through perl. */
export function htpasswdLine({ username, password }: RegistryCredentials): string {
  try {
    return execFileSync('htpasswd', ['-nbB', username, password], { encoding: 'utf8' }).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const salt = [...randomBytes(21)].map((b) => BCRYPT_ALPHABET[b % 64]).join('') + '.Oeu'[randomBytes(1)[0] % 4];
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2y$05$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2')) throw new Error('no bcrypt: install apache2-utils (htpasswd)');
  return `${username}:${hash}`;
}

export async function startTestRegistry(opts: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'k8ts-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  let auth = '';
  if (opts.credentials) {
    await writeFile(join(dir, 'htpasswd'), `${htpasswdLine(opts.credentials)}\n`);
    auth = `auth:\n  htpasswd:\n    realm: k8ts-test-registry\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  await writeFile(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: ${host}\n${auth}`);
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await fetch(`http://${host}/v2/`).then((r) => r.ok || (opts.credentials !== undefined && r.status === 401), () => false);
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('docker-registry did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const authorization: Record<string, string> = opts.credentials
    ? { authorization: `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64')}` }
    : {};
  return {
    host,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    async pushImage(name, image) {
      const colon = name.lastIndexOf(':');
      const [repository, tag] = colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
      await pushImage(image, { registry: `http://${host}`, repository, tag, ...(opts.credentials ? { credentials: opts.credentials } : {}) });
      return `${host}/${repository}:${tag}`;
    },
    stop,
  };
}
