import type { Pod, PodStatus } from '../../api/types.js';
import type { Clock } from '../../util/clock.js';
import type { PodStatusWriter } from '../types.js';

export interface StatusManagerOptions {
  writer: PodStatusWriter;
  clock: Clock;
  /** Full resync period (default 10 s). */
  syncPeriodMs?: number;
  /** Whether the pod's resources are released so the API object may be removed (default: yes). */
  canBeDeleted?(pod: Pod): boolean;
}

// Signatures published first; the implementation follows in the next commit.
export class StatusManager {
  constructor(readonly opts: StatusManagerOptions) {}
  start(): void {}
  async stop(): Promise<void> {}
  getCachedStatus(_podUid: string): PodStatus | undefined {
    return undefined;
  }
  setPodStatus(_pod: Pod, _status: PodStatus): void {}
  terminatePod(_pod: Pod): void {}
  removePod(_podUid: string): void {}
  /** Resolves when every queued write has been attempted (for tests and clean shutdown). */
  async flush(): Promise<void> {}
}
