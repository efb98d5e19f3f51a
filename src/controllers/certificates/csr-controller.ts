// What the approver and the signer share: an informer on CertificateSigningRequests, one sync per
// request at a time, and the errors a sync may meet without saying so (the request deleted, or
// changed meanwhile: the informer brings the newer one).

import { ApiError } from '../../api/errors.js';
import type { ApiClient } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import type { Logger } from '../../util/log.js';
import { CSRS, type CertificateSigningRequest } from './types.js';

export abstract class CsrController {
  private readonly csrs: Informer<CertificateSigningRequest>;
  private readonly inFlight = new Set<string>();

  constructor(
    protected readonly client: ApiClient,
    protected readonly log: Logger,
    /** What the log says when a sync fails. */
    private readonly failure: string,
  ) {
    this.csrs = new Informer<CertificateSigningRequest>(client, CSRS);
    const sync = (csr: CertificateSigningRequest) => void this.handle(csr);
    this.csrs.on({ add: sync, update: sync });
  }

  async start(): Promise<void> {
    this.csrs.start();
    await this.csrs.synced;
  }

  stop(): void {
    this.csrs.stop();
  }

  /** Whether the request is one for this controller (cheap: no parsing). */
  protected abstract wants(csr: CertificateSigningRequest): boolean;

  protected abstract sync(csr: CertificateSigningRequest): Promise<void>;

  private async handle(csr: CertificateSigningRequest): Promise<void> {
    const name = csr.metadata.name!;
    if (this.inFlight.has(name) || !this.wants(csr)) return;
    this.inFlight.add(name);
    try {
      await this.sync(csr);
    } catch (err) {
      if (!(err instanceof ApiError && (err.code === 404 || err.code === 409))) this.log.warn(this.failure, { name, error: (err as Error).message });
    } finally {
      this.inFlight.delete(name);
    }
  }
}
