// Container exits, as files: each supervisor writes `<exitsDir>/<container id>` (by rename) when its
// container ends. One inotify watch on the directory tells the runtime of every exit, also of
// containers started before the agent restarted: no polling, no per-container watcher.

import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordedExit {
  exitCode: number;
  /** When the exit was recorded (ms since the epoch). */
  at: number;
}

/** Exit files read at once: a burst of exits (a mass deletion) queues here instead of taking a descriptor each. */
const CONCURRENT_READS = 16;

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private reading = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly dir: string,
    private readonly onExit: (id: string) => void,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
      if (name && !name.endsWith('.tmp')) this.onExit(name);
    });
    this.watcher.on('error', () => undefined);
  }

  fileOf(id: string): string {
    return join(this.dir, id);
  }

  /** The recorded exit, or undefined while there is none; a failure other than a missing file throws. */
  async read(id: string): Promise<RecordedExit | undefined> {
    // A finished read hands its slot to the next waiting one.
    if (this.reading < CONCURRENT_READS) this.reading++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await readExit(this.fileOf(id));
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.reading--;
    }
  }

  async forget(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
  }

  close(): void {
    this.watcher?.close();
  }
}

async function readExit(file: string): Promise<RecordedExit | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const [text, info] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    const code = Number.parseInt(text.trim(), 10);
    return Number.isNaN(code) ? undefined : { exitCode: code, at: info.mtimeMs };
  } finally {
    await handle.close();
  }
}
