// Pushing a built image to a registry over the OCI distribution API: each blob (skipped when the
// registry has it), then the manifest under a tag. Basic authentication when the registry asks.

import type { OciImage } from './image.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface PushOptions {
  /** `http://127.0.0.1:5000` (plain HTTP for a local registry) or `https://registry.example`. */
  registry: string;
  /** Repository path inside the registry (`library/busybox`). */
  repository: string;
  tag: string;
  credentials?: RegistryCredentials;
}

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export async function pushImage(image: OciImage, opts: PushOptions): Promise<void> {
  const base = opts.registry.replace(/\/+$/, '');
  const headers: Record<string, string> = opts.credentials
    ? { authorization: `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64')}` }
    : {};
  const origin = new URL(`${base}/`).origin;
  /** One request; its body is read or dropped, so its connection goes back to the pool. */
  const call = async (url: string | URL, init: RequestInit, expected: number[], what: string): Promise<Response> => {
    // The credentials are the registry's: an upload location elsewhere (a storage service) does not get them.
    const auth = new URL(url).origin === origin ? headers : {};
    const res = await fetch(url, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
    if (!expected.includes(res.status)) {
      const body = await res.text().catch(() => '');
      throw new RegistryError(res.status, `${what}: ${res.status} ${res.statusText}${body ? `: ${body.trim()}` : ''}`);
    }
    await res.body?.cancel().catch(() => undefined);
    return res;
  };
  const repo = opts.repository;
  const blobs = [image.config, ...image.layers.map((l) => ({ digest: l.digest }))];
  for (const { digest } of blobs) {
    const content = image.blobs.get(digest);
    if (!content) throw new Error(`image has no blob ${digest}`);
    const head = await call(`${base}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }, [200, 404], `checking blob ${digest}`);
    if (head.status === 200) continue;
    const started = await call(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' }, [202], `starting the upload of ${digest}`);
    const location = new URL(started.headers.get('location') ?? '', `${base}/`);
    location.searchParams.set('digest', digest);
    await call(location, { method: 'PUT', body: content, headers: { 'content-type': 'application/octet-stream', 'content-length': String(content.length) } }, [201], `uploading ${digest}`);
  }
  await call(
    `${base}/v2/${repo}/manifests/${opts.tag}`,
    { method: 'PUT', body: image.manifestJson, headers: { 'content-type': image.manifest.mediaType } },
    [201],
    `putting the manifest ${repo}:${opts.tag}`,
  );
}
