// Whether a k8ts runs on a data directory: the SQLite store's lock is held (read from /proc/locks,
// without taking it), or the process named in the directory's pid file lives (the same pid and
// start time, so a reused pid does not count). `up`, `server` and `agent` write the pid file, which
// covers the stores without a lock (memory, etcd) and agents, which have no store.

import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '../runtime/process/procfs.js';
import { DataDirectoryInUseError } from '../store/index.js';

const PID_FILE = 'k8ts.pid';
const STORE_DATABASE = join('store', 'store.db');

/** The pid holding a POSIX lock on `file` (as /proc/locks lists locks: MAJOR:MINOR:INODE in hex, hex, decimal). */
export function lockHolder(file: string, locks: string = readLocks()): number | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined;
  }
  const major = (st.dev >> 8) & 0xfff;
  const minor = (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of locks.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // `1: POSIX  ADVISORY  WRITE 1234 fe:00:2180460 0 EOF` (a blocked waiter's line starts `->`).
    if (fields[1] === 'POSIX' && fields[5] === id) return Number(fields[4]);
  }
  return undefined;
}

function readLocks(): string {
  try {
    return readFileSync('/proc/locks', 'utf8');
  } catch {
    return '';
  }
}

/** The pid of the k8ts that runs on `dataDir`, if one does. */
export function runningOn(dataDir: string): number | undefined {
  const locked = lockHolder(join(dataDir, STORE_DATABASE));
  if (locked !== undefined) return locked;
  let text: string;
  try {
    text = readFileSync(join(dataDir, PID_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && started !== undefined && processStartTime(n) === started ? n : undefined;
}

/**
 * Records this process as the one running on `dataDir` (which must exist), unless another one
 * does; the record goes when this process exits. Returns its removal. The record is created
 * exclusively, so of two processes starting at once only one gets it; a stale record (its process
 * gone) is replaced only if it is still the one that was read.
 */
export function markRunning(dataDir: string): () => void {
  const file = join(dataDir, PID_FILE);
  const record = `${process.pid} ${processStartTime(process.pid)}\n`;
  const holder = lockHolder(join(dataDir, STORE_DATABASE));
  if (holder !== undefined && holder !== process.pid) throw new DataDirectoryInUseError(dataDir, holder);
  for (;;) {
    try {
      writeFileSync(file, record, { mode: 0o600, flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = runningOn(dataDir);
    if (other !== undefined && other !== process.pid) throw new DataDirectoryInUseError(dataDir, other);
    const stale = readRecord(file);
    if (stale === record) break;
    if (stale !== undefined && readRecord(file) === stale) rmSync(file, { force: true });
  }
  const remove = () => {
    process.removeListener('exit', remove);
    if (readRecord(file) === record) rmSync(file, { force: true });
  };
  process.on('exit', remove);
  return remove;
}

function readRecord(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
