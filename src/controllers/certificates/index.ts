// The certificate controllers: auto-approval of kubelet client requests and the CA's signer.

import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { CsrApprovingController } from './approver.js';
import { CsrSigningController } from './signer.js';
import type { SigningAuthority } from './x509.js';

export async function startCertificateControllers(client: ApiClient, options: { ca: SigningAuthority; clock: Clock; log: Logger }): Promise<{ stop(): void }> {
  const approver = new CsrApprovingController(client, options.clock, options.log.child('csrapproving'));
  const signer = new CsrSigningController(client, options.ca, options.clock, options.log.child('csrsigning'));
  await Promise.all([approver.start(), signer.start()]);
  return {
    stop() {
      approver.stop();
      signer.stop();
    },
  };
}
