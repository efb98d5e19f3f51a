// `--tls-san`: the API server's certificate covers the names and addresses users put in front of
// it (a load balancer before several servers), and a client that checks the name is satisfied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startK8ts, startK8tsServer, tempDir } from '../helpers/cli.js';

/** Completes a TLS handshake to the server under `servername`, verifying the name; resolves with the error if any. */
function handshake(port: number, servername: string, ca: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
      socket.end();
      resolve(undefined);
    });
    socket.on('error', (err) => resolve(err));
  });
}

test('--tls-san adds names and addresses to the serving certificate; bad ones are refused', async (t) => {
  const dir = tempDir(t);
  const server = await startK8tsServer(t, ['--data-dir', dir, '--store', 'memory', '--write-kubeconfig=false', '--tls-san', 'api.k8ts.test', '--tls-san', '10.20.30.40']);
  const ca = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');

  assert.equal(await handshake(server.port, 'api.k8ts.test', ca), undefined, 'the extra name is covered');
  const other = await handshake(server.port, 'other.k8ts.test', ca);
  assert.match(String(other?.message), /Hostname\/IP does not match certificate's altnames/);
  await server.stop('SIGTERM');

  // A restart without the flag keeps the certificate it has (it still covers everything asked).
  const again = await startK8tsServer(t, ['--data-dir', dir, '--store', 'memory', '--write-kubeconfig=false', '--tls-san', '10.20.30.40']);
  assert.equal(await handshake(again.port, 'api.k8ts.test', ca), undefined);
  await again.stop('SIGTERM');

  const bad = startK8ts(t, ['server', '--data-dir', tempDir(t), '--tls-san', 'Not A Name']);
  assert.equal((await bad.exited).code, 1);
  assert.match(bad.stderr(), /^k8ts: invalid --tls-san "Not A Name": use an IP address or a lower-case DNS name$/m);
});
