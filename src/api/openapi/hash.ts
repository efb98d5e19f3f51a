import { createHash } from 'node:crypto';

/** Content hash of a served document, as Kubernetes writes it in `?hash=`: SHA-512, upper-case hex. */
export function contentHash(body: Buffer): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}
