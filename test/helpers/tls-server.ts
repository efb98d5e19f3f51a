// An HTTPS server of the test's own on a free loopback port, with an ApiClient that trusts it:
// for client tests that script the API's answers byte by byte.

import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '../../src/client/client.js';
import { createCa, issueCertificate } from '../../src/apiserver/pki.js';

export interface ScriptedApi {
  client: ApiClient;
  close(): Promise<void>;
}

export async function scriptedApi(name: string, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<ScriptedApi> {
  const ca = await createCa(name);
  const serving = await issueCertificate(ca, { commonName: 'localhost', hosts: ['127.0.0.1'], usage: 'server' });
  const srv = https.createServer({ cert: serving.certPem, key: serving.keyPem }, handler);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const client = new ApiClient({ server: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, ca: ca.certPem });
  return {
    client,
    close: async () => {
      client.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    },
  };
}
