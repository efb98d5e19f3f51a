// The etcd3 client as the store uses it: deadlines on every unary call, no hidden retries (the
// store decides what may be sent again), unlimited message sizes (a range of thousands of objects
// is larger than gRPC's 4 MiB default) and keepalives that notice a member that went away.

import etcd3 from 'etcd3';
import type { CheckedEtcdConfig } from './config.js';

export type EtcdClient = InstanceType<typeof etcd3.Etcd3>;
type FaultHandling = NonNullable<NonNullable<ConstructorParameters<typeof etcd3.Etcd3>[0]>['faultHandling']>;
type Policy = FaultHandling['global'];
type HostPolicy = ReturnType<NonNullable<FaultHandling['host']>>;

/** Runs each attempt once: etcd3's default policy would resend writes whose outcome is unknown. */
const runOnce = {
  // async: etcd3 hands it functions that throw synchronously and expects a rejected promise back.
  execute: async <T>(fn: (context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T) =>
    fn({ signal: new AbortController().signal, attempt: 1 }),
};

export function createEtcdClient(config: CheckedEtcdConfig, requestTimeoutMs: number): EtcdClient {
  return new etcd3.Etcd3({
    hosts: config.endpoints,
    ...(config.credentials ? { credentials: config.credentials as { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer } } : {}),
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + requestTimeoutMs) }),
    // No circuit breaker per host either: it refuses a host for 5 s after three failures, which
    // with a single member means 5 s of errors after it is back. A dead member's channel fails
    // fast, and the store tries again elsewhere.
    faultHandling: { global: runOnce as unknown as Policy, host: () => runOnce as unknown as HostPolicy },
  });
}
