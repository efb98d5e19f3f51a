// A process's memory as /proc tells it: VmRSS (shared pages counted in every process) and PSS
// (shared pages split among their sharers; 0 where smaps_rollup is missing).

import { readFileSync } from 'node:fs';

/** Throws when the process is gone. */
export function processMemory(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  let pss = 0;
  try {
    pss = Number(/Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    // no smaps_rollup
  }
  return { rss, pss };
}
