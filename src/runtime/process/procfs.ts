// Identifying processes across agent restarts: a pid alone may be reused, a pid with its start
// time (clock ticks since boot, field 22 of /proc/<pid>/stat) may not.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/**
 * The process's start time, or undefined when it does not exist (zombies count as gone). Only
 * ENOENT and ESRCH mean gone: any other failure (EMFILE when the agent is out of descriptors) throws.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (isGoneError(err)) return undefined;
    throw err;
  }
  // The command name (field 2) is parenthesised and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

function isGoneError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

/** When each live process's start time was last read: listing a node's sandboxes asks for every one of them. */
const verified = new Map<number, { startTime: string; at: number }>();
const REVERIFY_MS = 1000;

/**
 * Whether the identified process still runs. A signal 0 tells of an exit at once; the start time
 * (which tells a reused pid) is read again at most once a second per process: a pid is not reused
 * that fast. When the start time cannot be read (out of descriptors) the signal's answer stands:
 * a process that exists is never reported gone.
 */
export function isAlive(target: ProcessIdentity | undefined): boolean {
  if (target === undefined) return false;
  try {
    process.kill(target.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') {
      verified.delete(target.pid);
      return false;
    }
  }
  const now = Date.now();
  const seen = verified.get(target.pid);
  if (seen && seen.startTime === target.startTime && now - seen.at < REVERIFY_MS) return true;
  let startTime: string | undefined;
  try {
    startTime = processStartTime(target.pid);
  } catch {
    return true;
  }
  const alive = startTime === target.startTime;
  if (verified.size > 100_000) verified.clear();
  if (alive) verified.set(target.pid, { startTime: target.startTime, at: now });
  else verified.delete(target.pid);
  return alive;
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
