// A CRI v1 client over a unix socket: one gRPC channel, unary calls by method name, server streams,
// and gRPC failures turned into the runtime contract's errors.

import * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { RuntimeError } from '../types.js';
import { codec, IMAGE_SERVICE, RUNTIME_SERVICE, type CriMessage, type MessageCodec } from './proto.js';

type RuntimeMethod = keyof typeof RUNTIME_SERVICE;
type ImageMethod = keyof typeof IMAGE_SERVICE;

export interface CallOptions {
  /** Milliseconds before the call is abandoned (default two minutes; pulls get longer). */
  timeoutMs?: number;
}

/** Contract error codes for the gRPC status codes a runtime answers with. */
const CODES: Partial<Record<grpc.status, string>> = {
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.INVALID_ARGUMENT]: 'InvalidArgument',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.FAILED_PRECONDITION]: 'FailedPrecondition',
  [grpc.status.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [grpc.status.UNAVAILABLE]: 'Unavailable',
  [grpc.status.UNIMPLEMENTED]: 'Unimplemented',
  [grpc.status.CANCELLED]: 'Cancelled',
};

export interface StreamHandlers {
  onMessage(message: CriMessage): void;
  onEnd(err: CriCallError | undefined): void;
}

export class CriCallError extends RuntimeError {
  constructor(
    code: string,
    message: string,
    readonly grpcCode: grpc.status,
  ) {
    super(code, message);
  }
}

/** One finished unary call, as `observeCriCalls` reports it (times from performance.now()). */
export interface CriCallRecord {
  method: string;
  startMs: number;
  endMs: number;
  error?: string;
}

const observers = new Set<(call: CriCallRecord) => void>();

/** Reports every unary call of every client in this process (for profiling); returns the unsubscribe. */
export function observeCriCalls(observer: (call: CriCallRecord) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** The endpoint as grpc-js wants it: `unix:///path` or a bare path. */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return `unix://${endpoint.slice('unix://'.length)}`;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  throw new RuntimeError('InvalidArgument', `unsupported CRI endpoint "${endpoint}": expected unix:///path/to/socket`);
}

export class CriClient {
  private readonly client: grpc.Client;

  constructor(readonly endpoint: string) {
    this.client = new grpc.Client(normalizeEndpoint(endpoint), grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024 + 1024 * 1024,
    });
  }

  runtime(method: RuntimeMethod, request: CriMessage, options?: CallOptions): Promise<CriMessage> {
    const [req, res] = RUNTIME_SERVICE[method];
    return this.call(`/runtime.v1.RuntimeService/${method}`, req, res, request, options);
  }

  image(method: ImageMethod, request: CriMessage, options?: CallOptions): Promise<CriMessage> {
    const [req, res] = IMAGE_SERVICE[method];
    return this.call(`/runtime.v1.ImageService/${method}`, req, res, request, options);
  }

  /**
   * A server-streaming call (`/package.Service/Method`): `onMessage` per message, `onEnd` once when
   * the stream ends (with the error, unless it was cancelled). Returns the cancel function.
   */
  stream(path: string, request: MessageCodec, response: MessageCodec, value: CriMessage, handlers: StreamHandlers): () => void {
    const call = this.client.makeServerStreamRequest(
      path,
      (v: CriMessage) => request.encode(v),
      (bytes: Buffer) => response.decode(bytes),
      value,
      new grpc.Metadata(),
      {},
    );
    let ended = false;
    let cancelled = false;
    const end = (err?: CriCallError) => {
      if (ended) return;
      ended = true;
      handlers.onEnd(cancelled ? undefined : err);
    };
    call.on('data', (message: CriMessage) => {
      if (!ended) handlers.onMessage(message);
    });
    call.on('error', (err: grpc.ServiceError) => end(toRuntimeError(path, err)));
    call.on('end', () => end(cancelled ? undefined : new CriCallError('Unavailable', `${path.slice(path.lastIndexOf('/') + 1)}: the stream ended`, grpc.status.UNAVAILABLE)));
    return () => {
      cancelled = true;
      call.cancel();
      end();
    };
  }

  /** Resolves once the socket answers, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new RuntimeError('Unavailable', `CRI endpoint ${this.endpoint} did not answer: ${err.message}`)) : resolve(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }

  private call(path: string, reqName: string, resName: string, request: CriMessage, options: CallOptions = {}): Promise<CriMessage> {
    const req = codec(reqName);
    const res = codec(resName);
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const startMs = observers.size ? performance.now() : 0;
    const report = (error?: string) => {
      if (!observers.size) return;
      const record: CriCallRecord = { method: path.slice(path.lastIndexOf('/') + 1), startMs, endMs: performance.now(), ...(error ? { error } : {}) };
      for (const o of observers) o(record);
    };
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (value: CriMessage) => req.encode(value),
        (bytes: Buffer) => res.decode(bytes),
        request,
        new grpc.Metadata(),
        { deadline },
        (err, value) => {
          report(err ? grpc.status[err.code] : undefined);
          if (err) reject(toRuntimeError(path, err));
          else resolve(value ?? {});
        },
      );
    });
  }
}

function toRuntimeError(path: string, err: grpc.ServiceError): CriCallError {
  const method = path.slice(path.lastIndexOf('/') + 1);
  const code = CODES[err.code] ?? 'Unknown';
  return new CriCallError(code, err.details || `${method} failed: ${err.message}`, err.code);
}
