// The token cleaner (kube-controller-manager's tokencleaner): a bootstrap token Secret is deleted
// when its expiration passes, at that moment (one timer for the earliest expiration).

import { ApiError } from '../../api/errors.js';
import { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_TYPE, parseBootstrapSecret, type SecretObject } from '../../apiserver/auth/bootstrap-tokens.js';

const SECRETS = ApiClient.resourceOf('v1', 'Secret');
/** A deletion that failed is tried again after this long. */
const RETRY_MS = 5_000;

export class TokenCleaner {
  private readonly secrets: Informer<SecretObject>;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.secrets = new Informer<SecretObject>(client, SECRETS, { namespace: BOOTSTRAP_TOKEN_NAMESPACE, fieldSelector: `type=${BOOTSTRAP_TOKEN_TYPE}` });
    const sweep = () => void this.sweep();
    this.secrets.on({ add: sweep, update: sweep });
  }

  async start(): Promise<void> {
    this.secrets.start();
    await this.secrets.synced;
    await this.sweep();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.secrets.stop();
  }

  /** Deletes what has expired and sets the timer for the next expiration. */
  private async sweep(): Promise<void> {
    const now = this.clock.now();
    let next: number | undefined;
    for (const secret of this.secrets.list()) {
      const token = parseBootstrapSecret(secret);
      if (!token || secret.metadata.deletionTimestamp) continue;
      if (token.expires === undefined && !token.badExpiration) continue;
      const due = token.badExpiration || token.expires! <= now;
      const when = due ? ((await this.remove(secret)) ? undefined : now + RETRY_MS) : token.expires!;
      if (when !== undefined) next = Math.min(next ?? Infinity, when);
    }
    this.timer?.cancel();
    if (next !== undefined && !this.stopped) this.timer = this.clock.setTimeout(() => void this.sweep(), Math.max(0, next - now) + 1);
  }

  /** Deletes an expired token's Secret; false when that failed and should be tried again. */
  private async remove(secret: SecretObject): Promise<boolean> {
    try {
      await this.client.delete(SECRETS, BOOTSTRAP_TOKEN_NAMESPACE, secret.metadata.name!, { preconditions: { uid: secret.metadata.uid } });
      this.log.info('deleted expired bootstrap token', { name: secret.metadata.name });
      return true;
    } catch (err) {
      // Gone already, or replaced by a Secret of another uid (the informer brings it).
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return true;
      this.log.warn('bootstrap token deletion failed; retrying', { name: secret.metadata.name, error: (err as Error).message, retryInMs: RETRY_MS });
      return false;
    }
  }
}
