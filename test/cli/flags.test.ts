// README's flags table names exactly the flags `up`, `server` and `agent` take, and `server`
// refuses the node's flags instead of ignoring them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentFlags, clusterFlags, NODE_FLAGS } from '../../src/cli/flags.js';
import { K8TS_BIN } from '../helpers/cli.js';
import { run } from '../helpers/cluster.js';

const README = join(K8TS_BIN, '..', '..', 'README.md');

/** Per command, the flags README's table gives it (a row's first cell, and the etcd flags its text names). */
function readmeFlags(): Record<'up' | 'server' | 'agent', string[]> {
  const text = readFileSync(README, 'utf8');
  const table = text.slice(text.indexOf('| flag | of | what |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const found = { up: new Set<string>(), server: new Set<string>(), agent: new Set<string>() };
  for (const row of rows) {
    const [flags = '', of = '', what = ''] = row.replace(/\\\|/g, '/').split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, ''));
    const names = [...`${flags} ${what.includes('--etcd-') ? what : ''}`.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);
    for (const command of of.match(/\b(up|server|agent)\b/g) ?? []) for (const n of names) found[command as keyof typeof found].add(n);
  }
  return { up: [...found.up].sort(), server: [...found.server].sort(), agent: [...found.agent].sort() };
}

test("README's flags table matches the flags each command takes", () => {
  const listed = readmeFlags();
  const cluster = Object.keys(clusterFlags).sort();
  assert.deepEqual(listed.up, cluster);
  assert.deepEqual(listed.server, cluster.filter((f) => !(NODE_FLAGS as readonly string[]).includes(f)));
  assert.deepEqual(listed.agent, Object.keys(agentFlags).sort());
});

test('k8ts server refuses the flags of a node', async () => {
  for (const flag of NODE_FLAGS) {
    const r = await run(process.execPath, [K8TS_BIN, 'server', `--${flag}`, 'x', '--port', '0', '--store', 'memory']);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr.split('\n')[0], `k8ts: --${flag} is a flag of up and agent: the server runs no node`);
  }
});
