// Identifying processes across agent restarts: a pid alone may be reused, a pid with its start
// time (clock ticks since boot, field 22 of /proc/<pid>/stat) may not.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** The process's start time, or undefined when it does not exist (zombies count as gone). */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is parenthesised and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

export function isAlive(process: ProcessIdentity | undefined): boolean {
  return process !== undefined && processStartTime(process.pid) === process.startTime;
}

/** Sends a signal if the process is still the one identified; false when it is gone. */
export function signalProcess(target: ProcessIdentity | undefined, signal: NodeJS.Signals): boolean {
  if (!isAlive(target)) return false;
  try {
    process.kill(target!.pid, signal);
    return true;
  } catch {
    return false;
  }
}
