import type { Container, LifecycleHandler, Pod } from '../../api/types.js';
import type { Runtime } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import type { ProbeNetwork } from '../network.js';

export type HookName = 'PostStart' | 'PreStop';

export interface LifecycleHandlerRunnerOptions {
  runtime: Runtime;
  clock: Clock;
  network: ProbeNetwork;
  podIP(podUid: string): string | undefined;
}

// Signatures published first; the implementation follows in the next commit.
export class LifecycleHandlerRunner {
  constructor(readonly opts: LifecycleHandlerRunnerOptions) {}
  /** Resolves with undefined on success, else the error message Kubernetes reports for the hook. */
  async run(_pod: Pod, _container: Container, _containerId: string, _hook: HookName, _handler: LifecycleHandler, _signal?: AbortSignal): Promise<string | undefined> {
    throw new Error('LifecycleHandlerRunner.run: implementation pending');
  }
}
