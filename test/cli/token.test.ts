// `k8ts token`: arguments are refused with kubeadm's messages before any cluster is asked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runToken, TokenUsageError } from '../../src/cli/token.js';

test('token create and delete refuse bad arguments before reading a kubeconfig', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'k8ts-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const refused = (args: string[], message: string) =>
    assert.rejects(runToken(args, dir, () => assert.fail('no output expected')), (err: unknown) => {
      assert.ok(err instanceof TokenUsageError, String(err));
      assert.equal(err.message, message);
      return true;
    });
  await refused(['delete'], 'missing subcommand; "token delete" is missing token of form ["^([a-z0-9]{6})$" or "^([a-z0-9]{6})\\.([a-z0-9]{16})$"]');
  await refused(['delete', 'abcdef', 'nope'], 'given token didn\'t match pattern "^([a-z0-9]{6})$" or "^([a-z0-9]{6})\\.([a-z0-9]{16})$"');
  await refused(['create', 'abc.def'], 'the bootstrap token "abc.def" was not of the form "^([a-z0-9]{6})\\.([a-z0-9]{16})$"');
  await refused(['create', '--ttl', '1d'], 'invalid duration "1d"');
  await refused(['create', '--usages', 'signing,other'], 'invalid bootstrap token usage string: other, valid usage options: signing, authentication');
  await refused(['create', '--groups', 'system:masters'], 'bootstrap group "system:masters" is invalid (must match ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$)');
  // Good arguments get as far as the (missing) kubeconfig.
  await assert.rejects(runToken(['delete', 'abcdef'], dir, () => {}), /cannot read kubeconfig/);
});
