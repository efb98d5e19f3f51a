// k8ts up's runtime flags: bad values are refused with one line and the usage, before anything starts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startK8ts, tempDir } from '../helpers/cli.js';

test('k8ts up refuses a bad --runtime and a --cri-endpoint without cri or of the wrong form', async (t) => {
  const dir = tempDir(t);
  for (const [args, pattern] of [
    [['up', '--runtime', 'docker', '--data-dir', dir], /^k8ts: invalid --runtime docker: use process or cri$/m],
    [['up', '--cri-endpoint', 'unix:///run/containerd/containerd.sock', '--data-dir', dir], /^k8ts: --cri-endpoint needs --runtime cri$/m],
    [['up', '--runtime', 'cri', '--cri-endpoint', 'tcp://127.0.0.1:1', '--data-dir', dir], /^k8ts: invalid --cri-endpoint tcp:\/\/127\.0\.0\.1:1: use unix:\/\/\/path\/to\/socket$/m],
  ] as const) {
    const p = startK8ts(t, [...args]);
    const exit = await p.exited;
    assert.equal(exit.code, 1, `${args.join(' ')}: ${p.stderr()}`);
    assert.match(p.stderr(), pattern);
    assert.match(p.stderr(), /^Usage: k8ts <command> \[flags\]$/m);
    assert.match(p.stderr(), /--runtime process\|cri/);
    assert.doesNotMatch(p.stderr(), /^\s+at /m);
  }
});
