// The etcd backend: openEtcdStore checks the configuration, connects, and fails within the dial
// timeout with the endpoints and the reason when no member answers.

import { checkEtcdConfig, type EtcdStoreConfig } from './config.js';
import { createEtcdClient } from './client.js';
import { EtcdStore } from './etcd-store.js';
import { isBrokenCircuit, messageOf } from './errors.js';
import { KeySpace } from './keys.js';

export { EtcdConfigError, checkEtcdConfig, parseEndpoint, type EtcdStoreConfig, type EtcdTlsConfig } from './config.js';
export { EtcdStore } from './etcd-store.js';
export { EtcdUnavailableError } from './errors.js';
export { prefixRangeEnd, KeySpace } from './keys.js';

export class EtcdUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtcdUnreachableError';
  }
}

export async function openEtcdStore(config: EtcdStoreConfig): Promise<EtcdStore> {
  const checked = checkEtcdConfig(config);
  const requestTimeoutMs = config.requestTimeoutMs ?? 10_000;
  const dialTimeoutMs = config.dialTimeoutMs ?? 3_000;
  const client = createEtcdClient(checked, requestTimeoutMs);
  const description = checked.endpoints.join(',');
  const deadline = Date.now() + dialTimeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      await client.kv.range({ key: new KeySpace(checked.prefix).probeKey(), count_only: true }, { deadline: new Date(deadline) });
      break;
    } catch (err) {
      // A host the client has stopped trying for a while says less than why it stopped.
      if (lastError === undefined || !isBrokenCircuit(err)) lastError = err;
      if (Date.now() + 100 >= deadline) {
        client.close();
        throw new EtcdUnreachableError(`cannot reach etcd at ${description} within ${dialTimeoutMs / 1000} s: ${messageOf(lastError)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return new EtcdStore(client, new KeySpace(checked.prefix), {
    requestTimeoutMs,
    compactIntervalMs: config.compactIntervalMs ?? 300_000,
    description,
  });
}
