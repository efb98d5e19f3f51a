// Image references as the kubelet and containerd read them (the distribution reference grammar):
// `[domain/]path[:tag][@digest]`, with Docker Hub names normalized (`busybox` is
// `docker.io/library/busybox`).

export interface ImageReference {
  /** `docker.io`, `127.0.0.1:5000`, `registry.k8s.io`. */
  domain: string;
  /** The repository path inside the registry (`library/busybox`). */
  path: string;
  tag?: string;
  digest?: string;
}

export class InvalidReferenceError extends Error {}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainRe = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const pathComponentRe = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;

/** Parses and normalizes a reference; throws InvalidReferenceError with distribution's wording. */
export function parseImageReference(input: string): ImageReference {
  if (input === '') throw new InvalidReferenceError('repository name must have at least one component');
  if (anchoredIdentifierRe.test(input)) {
    throw new InvalidReferenceError(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw new InvalidReferenceError('invalid reference format');
    if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new InvalidReferenceError('invalid checksum digest format');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw new InvalidReferenceError('invalid reference format');
  }
  if (rest.length > NAME_TOTAL_LENGTH_MAX) throw new InvalidReferenceError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (path.toLowerCase() !== path) throw new InvalidReferenceError('repository name must be lowercase');
  if (!domainRe.test(domain) || path.split('/').some((c) => !pathComponentRe.test(c))) {
    throw new InvalidReferenceError('invalid reference format');
  }
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `docker.io/library/busybox`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalized reference; an untagged, undigested name gets `:latest`. */
export function normalizedReference(ref: ImageReference): string {
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  return `${repositoryName(ref)}${tag !== undefined ? `:${tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `busybox` → `docker.io/library/busybox:latest`; throws InvalidReferenceError. */
export function normalizeImageName(input: string): string {
  return normalizedReference(parseImageReference(input));
}
