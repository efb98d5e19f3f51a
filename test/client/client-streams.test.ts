import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { WatchEventOf } from '../../src/client/client.js';
import { scriptedApi } from '../helpers/tls-server.js';

/** An HTTPS server on a free port whose answers the test writes piece by piece. */
const server = (handler: (res: ServerResponse) => Promise<void>) => scriptedApi('client-streams-test', (_req, res) => void handler(res));

const pause = () => new Promise((r) => setTimeout(r, 20));

test('watch lines split inside a UTF-8 character and across writes arrive whole', async () => {
  const line = Buffer.from(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'ünïcødé-€' } } })}\n`);
  const cut = line.indexOf(Buffer.from('€')) + 1; // inside the three bytes of €
  const s = await server(async (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(line.subarray(0, cut));
    await pause();
    res.write(Buffer.concat([line.subarray(cut), line, line.subarray(0, 5)]));
    await pause();
    res.end(line.subarray(5));
  });
  try {
    const names: string[] = [];
    const w = s.client.watch<{ metadata: { name: string } }>('/api/v1/pods', {}, (e: WatchEventOf<{ metadata: { name: string } }>) => names.push(e.object.metadata.name));
    await w.done;
    assert.deepEqual(names, ['ünïcødé-€', 'ünïcødé-€', 'ünïcødé-€']);
  } finally {
    await s.close();
  }
});

test('a request answer in several pieces is read whole; a cut-off answer fails', async () => {
  let cutOff = false;
  const s = await server(async (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"kind":"Pod","metadata":{"name":"é');
    await pause();
    if (cutOff) return void res.destroy();
    res.end('"}}');
  });
  try {
    assert.deepEqual(await s.client.request('GET', '/api/v1/namespaces/default/pods/x'), { kind: 'Pod', metadata: { name: 'é' } });
    cutOff = true;
    await assert.rejects(s.client.request('GET', '/api/v1/namespaces/default/pods/x'));
  } finally {
    await s.close();
  }
});
