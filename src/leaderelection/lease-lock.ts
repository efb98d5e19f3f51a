// The election record kept in a coordination.k8s.io/v1 Lease, as kube-scheduler and
// kube-controller-manager keep theirs. Writes are compare-and-swap on the resourceVersion of the
// Lease last read or written, so two candidates can never both win the same round.

import type { KubeObject, ObjectReference } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { ApiClient, resourcePath } from '../client/client.js';
import type { EventRecorder } from '../kubelet/types.js';
import { rfc3339Micro } from '../util/clock.js';

const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

/** What the lock stores: client-go's LeaderElectionRecord. Times are milliseconds since the epoch. */
export interface ElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaderTransitions: number;
}

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Where the election record lives. `get` throws a 404 ApiError when there is none yet. */
export interface ResourceLock {
  readonly identity: string;
  /** `namespace/name`, for messages. */
  describe(): string;
  /** The record and its serialized form (compared to notice any change, as client-go does). */
  get(signal?: AbortSignal): Promise<{ record: ElectionRecord; raw: string }>;
  create(record: ElectionRecord, signal?: AbortSignal): Promise<void>;
  /** Replaces the record read or written last; fails on a conflicting write in between. */
  update(record: ElectionRecord, signal?: AbortSignal): Promise<void>;
  /** Records `<identity> <message>` as a LeaderElection event on the Lease. */
  recordEvent(message: string): void;
}

export interface LeaseLockOptions {
  client: ApiClient;
  namespace: string;
  name: string;
  identity: string;
  recorder?: EventRecorder;
}

export class LeaseLock implements ResourceLock {
  readonly identity: string;
  private lease: Lease | undefined;

  constructor(private readonly opts: LeaseLockOptions) {
    this.identity = opts.identity;
  }

  describe(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  async get(signal?: AbortSignal): Promise<{ record: ElectionRecord; raw: string }> {
    const lease = await this.opts.client.request<Lease>('GET', resourcePath(LEASES, this.opts.namespace, this.opts.name), signal ? { signal } : {});
    this.lease = lease;
    const record = recordOf(lease);
    return { record, raw: JSON.stringify(record) };
  }

  async create(record: ElectionRecord, signal?: AbortSignal): Promise<void> {
    const body: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: specOf(record) };
    this.lease = await this.opts.client.request<Lease>('POST', resourcePath(LEASES, this.opts.namespace), { body, ...(signal ? { signal } : {}) });
  }

  async update(record: ElectionRecord, signal?: AbortSignal): Promise<void> {
    if (!this.lease) throw new Error(`lease ${this.describe()} not initialized: get or create it first`);
    const body: Lease = { ...this.lease, spec: specOf(record) };
    this.lease = await this.opts.client.request<Lease>('PUT', resourcePath(LEASES, this.opts.namespace, this.opts.name), { body, ...(signal ? { signal } : {}) });
  }

  recordEvent(message: string): void {
    if (!this.opts.recorder || !this.lease) return;
    const m = this.lease.metadata;
    const subject: ObjectReference = {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      namespace: m.namespace ?? this.opts.namespace,
      name: m.name ?? this.opts.name,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    };
    this.opts.recorder.event(subject, 'Normal', 'LeaderElection', `${this.identity} ${message}`);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

function recordOf(lease: Lease): ElectionRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: s.acquireTime ? Date.parse(s.acquireTime) : 0,
    renewTime: s.renewTime ? Date.parse(s.renewTime) : 0,
    leaderTransitions: s.leaseTransitions ?? 0,
  };
}

function specOf(record: ElectionRecord): NonNullable<Lease['spec']> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: rfc3339Micro(record.acquireTime),
    renewTime: rfc3339Micro(record.renewTime),
    leaseTransitions: record.leaderTransitions,
  };
}
