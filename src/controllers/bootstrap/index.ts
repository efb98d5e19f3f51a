// The bootstrap token controllers: the signer of cluster-info and the cleaner of expired tokens.

import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { BootstrapSigner } from './bootstrap-signer.js';
import { TokenCleaner } from './token-cleaner.js';

export async function startBootstrapControllers(client: ApiClient, options: { server: string; caPem: string; clock: Clock; log: Logger }): Promise<{ stop(): void }> {
  const signer = new BootstrapSigner(client, { server: options.server, caPem: options.caPem }, options.clock, options.log.child('bootstrapsigner'));
  const cleaner = new TokenCleaner(client, options.clock, options.log.child('tokencleaner'));
  await Promise.all([signer.start(), cleaner.start()]);
  return {
    stop() {
      signer.stop();
      cleaner.stop();
    },
  };
}

/** Everything a node joining with a bootstrap token needs of the controller manager: cluster-info, token cleanup, CSR approval and signing. */
export async function startNodeJoinControllers(client: ApiClient, options: { server: string; ca: { certPem: string; keyPem: string }; clock: Clock; log: Logger }): Promise<{ stop(): void }> {
  const { startCertificateControllers } = await import('../certificates/index.js');
  const [bootstrap, certificates] = await Promise.all([
    startBootstrapControllers(client, { server: options.server, caPem: options.ca.certPem, clock: options.clock, log: options.log }),
    startCertificateControllers(client, { ca: options.ca, clock: options.clock, log: options.log }),
  ]);
  return {
    stop() {
      bootstrap.stop();
      certificates.stop();
    },
  };
}
