// Container exits, as files: each supervisor writes `<exitsDir>/<container id>` (by rename) when its
// container ends. One inotify watch on the directory tells the runtime of every exit, also of
// containers started before the agent restarted: no polling, no per-container watcher.

import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecordedExit {
  exitCode: number;
  /** When the exit was recorded (ms since the epoch). */
  at: number;
}

export class ExitWatcher {
  private watcher: FSWatcher | undefined;

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

  async read(id: string): Promise<RecordedExit | undefined> {
    const file = this.fileOf(id);
    const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => ''), stat(file).catch(() => undefined)]);
    const code = Number.parseInt(text.trim(), 10);
    return Number.isNaN(code) || !info ? undefined : { exitCode: code, at: info.mtimeMs };
  }

  async forget(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
  }

  close(): void {
    this.watcher?.close();
  }
}
