#!/usr/bin/env node
// Runs the compiled benchmarks one after another, each in its own process: every
// dist/bench/*.bench.js, or those whose names contain one of the arguments. Flags (--quick) are
// passed on to each benchmark.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const filters = args.filter((a) => !a.startsWith('--'));
const dir = 'dist/bench';

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark in ${dir} matched ${filters.join(', ')}`);
  process.exit(1);
}

// Other work on the machine shows in every number: say how busy it was when each benchmark started.
const machine = () =>
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
  `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;

let failed = 0;
for (const file of files) {
  console.log(`\n## ${file.replace(/\.js$/, '')}\n\n${machine()}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', '--enable-source-maps', join(dir, file), ...flags], { stdio: 'inherit' });
  console.log(`\n(${file}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
