// HTTP plumbing of the API server: reading bodies within the size limit, decoding JSON, YAML and
// Kubernetes protobuf, and writing JSON answers and Status errors.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { ApiError, errors } from '../api/errors.js';
import { decodeKubernetesProtobuf } from '../api/protobuf/index.js';
import { goJsonSyntaxError, summarizeBody } from './go-json.js';

/** Kubernetes' default limit on a request body (3 MiB). */
export const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      return reject(errors.tooLarge(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(errors.tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const objectTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/**
 * Decodes a create/update body (JSON, YAML or protobuf) into an object. With the `kind` the
 * endpoint expects, malformed JSON is refused as Kubernetes' decoder refuses it: Go's syntax
 * error and a summary of the body.
 */
export function decodeObjectBody(body: Buffer, contentType: string | undefined, kind?: string): unknown {
  const type = mediaType(contentType) || 'application/json';
  if (type === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(body);
  if (type === 'application/json' && kind) {
    const syntax = goJsonSyntaxError(body);
    if (syntax !== undefined) {
      throw errors.badRequest(
        `the object provided is unrecognized (must be of type ${kind}): couldn't get version/kind; json parse error: ${syntax} (${summarizeBody(body)})`,
      );
    }
  }
  if (type === 'application/json') return parseJson(body);
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return parseYaml(body);
  throw errors.unsupportedMediaType(objectTypes);
}

export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (!text.trim()) throw errors.badRequest('the request body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function parseYaml(body: Buffer): unknown {
  const docs = parseAllDocuments(body.toString('utf8'));
  const list = Array.isArray(docs) ? docs : [docs];
  const first = list[0];
  if (!first) throw errors.badRequest('the request body is empty');
  if (first.errors.length) throw errors.badRequest(`error converting YAML to JSON: yaml: ${first.errors[0]!.message}`);
  return first.toJS({ maxAliasCount: 100 });
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  // With its length known the answer leaves as one write (one TLS record), not as chunks.
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const api = toApiError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, api.code, api.status);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return errors.internal(message);
}

/** Adds `Warning: 299 - "<text>"` headers (kubectl prints `Warning: <text>`). */
export function addWarnings(res: ServerResponse, warnings: string[]): void {
  if (!warnings.length) return;
  const existing = res.getHeader('Warning');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  res.setHeader('Warning', [...list, ...warnings.map((w) => `299 - ${JSON.stringify(w)}`)]);
}

export interface AcceptInfo {
  table: boolean;
  /** `as=PartialObjectMetadata[List]` */
  metadataOnly: boolean;
}

/** Reads the Accept header for server-side tables (`application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function parseAccept(accept: string | undefined): AcceptInfo {
  const info: AcceptInfo = { table: false, metadataOnly: false };
  if (!accept) return info;
  for (const clause of accept.split(',')) {
    const params = new Map<string, string>();
    const [type, ...rest] = clause.split(';');
    for (const p of rest) {
      const [k, v] = p.split('=');
      if (k && v) params.set(k.trim(), v.trim());
    }
    const t = (type ?? '').trim();
    if (t !== 'application/json' && t !== 'application/vnd.kubernetes.protobuf' && t !== '*/*') continue;
    const as = params.get('as');
    if (as === 'Table' && (params.get('g') ?? 'meta.k8s.io') === 'meta.k8s.io') {
      info.table = true;
      return info;
    }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
      info.metadataOnly = true;
      return info;
    }
    if (!as && t === 'application/json') return info;
  }
  return info;
}
