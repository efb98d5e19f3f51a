// What one Deployment sync works with: the API, its event recorder and clock, and the Deployment
// as this sync has last written it (each status write replaces it, so later writes are not stale).

import { ApiError } from '../../api/errors.js';
import type { ApiClient } from '../../client/client.js';
import type { Clock } from '../../util/clock.js';
import type { Recorder } from '../shared/events.js';
import { DEPLOYMENTS } from '../shared/informers.js';
import { omitEmpty, type Deployment, type DeploymentStatus } from '../shared/types.js';

export interface DeploymentContext {
  client: ApiClient;
  recorder: Recorder;
  clock: Clock;
  /** Sync this Deployment again after `ms`. */
  requeueAfter(key: string, ms: number): void;
}

export class SyncState {
  constructor(
    readonly ctx: DeploymentContext,
    readonly key: string,
    public d: Deployment,
  ) {}

  now(): number {
    return this.ctx.clock.now();
  }

  /** Writes `d` (status and annotations) through the status subresource. */
  async writeStatus(status: DeploymentStatus = this.d.status ?? {}): Promise<void> {
    const body: Deployment = { ...this.d, status: omitEmpty(status) };
    this.d = await this.ctx.client.update<Deployment>(DEPLOYMENTS, body, 'status');
  }
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.status.reason === 'AlreadyExists';
}
