#!/usr/bin/env node
// Builds the process runtime's native helpers into native/build/ at install time:
// - k8ts-shim (sandboxes, supervisors, exec), static when the C library allows it (a few hundred KiB
//   of private memory per helper process instead of a shared libc mapping each), dynamic otherwise;
// - k8ts-reaper, what the pods' long-lived helpers become once set up: freestanding (no C library), a
//   few KiB per process; without it k8ts-shim does the same itself, with its larger footprint;
// - k8ts-launcher, which forks the agent's exec probes and hooks in its place; without it the agent
//   spawns each command itself.
// Without a C compiler the install goes on: the runtime then uses its shell helpers and says so once.

import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiler = process.env.CC || 'cc';
const COMMON = ['-std=c11', '-Wall', '-Wextra'];

/**
 * Compiles native/<name>.c with the first set of extra flags that works; true when built. What went
 * wrong with the last set is handed to `failed`, and a partial or stale output is removed.
 */
function build(name, flagSets, failed) {
  const output = join(root, 'native', 'build', name);
  const partial = `${output}.partial`;
  let reason = '';
  for (const extra of flagSets) {
    try {
      execFileSync(compiler, [...COMMON, ...extra, '-o', partial, join(root, 'native', `${name}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
      renameSync(partial, output);
      console.log(`k8ts-shim: built ${output}`);
      return true;
    } catch (err) {
      reason = err.code === 'ENOENT' ? `no C compiler (${compiler})` : String(err.stderr ?? err.message).trim();
    }
  }
  rmSync(partial, { force: true });
  rmSync(output, { force: true });
  failed(reason);
  return false;
}

if (process.platform !== 'linux') {
  console.log('k8ts-shim: not built (the process runtime needs Linux)');
  process.exit(0);
}
mkdirSync(join(root, 'native', 'build'), { recursive: true });

const shim = build('k8ts-shim', [['-Os', '-static'], ['-Os']], (reason) =>
  console.warn(`k8ts-shim: not built: ${reason}\nk8ts-shim: the process runtime will use its shell helpers (slower pod startup)`));
if (!shim) rmSync(join(root, 'native', 'build', 'k8ts-reaper'), { force: true });
else {
  build('k8ts-reaper', [['-Os', '-static', '-nostdlib', '-ffreestanding', '-fno-stack-protector', '-fno-asynchronous-unwind-tables']], (reason) =>
    console.warn(`k8ts-shim: k8ts-reaper not built (${reason.split('\n')[0]}): pod helpers keep the larger k8ts-shim footprint`));
}
build('k8ts-launcher', [['-O2', '-static'], ['-O2']], (reason) =>
  console.warn(`k8ts-shim: k8ts-launcher not built (${reason.split('\n')[0]}): the agent forks each exec probe itself`));
