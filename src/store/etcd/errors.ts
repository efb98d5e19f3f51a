// How a failed etcd call is read: which failures are the store's own answers (Compacted,
// FutureRevision, TooLarge), which are safe to try again, and how the rest are told to the caller.

const COMPACTED = /required revision has been compacted/;
const FUTURE = /required revision is a future revision/;
const TOO_LARGE = /request is too large|message larger than max|Received message larger/i;

/**
 * Failures where the request never reached a member that could apply it: no connection, a host
 * the client is avoiding, or a member without a leader (it refuses before proposing). A write may
 * be sent again after these without risking a double apply.
 */
const NOT_SENT = /No connection established|ECONNREFUSED|circuit breaker is open|etcdserver: no leader|too many requests|not capable|EHOSTUNREACH|ENETUNREACH/i;

/** Failures after which the outcome of a write is unknown, but a read can simply be retried. */
const TRANSIENT = /UNAVAILABLE|DEADLINE_EXCEEDED|CANCELLED|ECONNRESET|Connection dropped|leader changed|request timed out|timed out|stream ended|socket hang up|GOAWAY|RST_STREAM|INTERNAL/i;

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const isBrokenCircuit = (err: unknown) => /circuit breaker is open/.test(messageOf(err));
export const isCompactedError = (err: unknown) => COMPACTED.test(messageOf(err));
export const isFutureRevisionError = (err: unknown) => FUTURE.test(messageOf(err));
export const isTooLargeError = (err: unknown) => TOO_LARGE.test(messageOf(err));
export const isNotSentError = (err: unknown) => NOT_SENT.test(messageOf(err));
export const isTransientError = (err: unknown) => isNotSentError(err) || TRANSIENT.test(messageOf(err));

/** A failure reaching etcd, told with what was being done. */
export class EtcdUnavailableError extends Error {
  constructor(what: string, cause: unknown) {
    super(`etcd ${what} failed: ${messageOf(cause)}`);
    this.name = 'EtcdUnavailableError';
  }
}
