// DaemonSet history (daemon/update.go constructHistory, snapshot, cleanupHistory): every distinct
// pod template the DaemonSet has had is a ControllerRevision holding a patch that restores it. The
// current one is found by its data, created when missing (named by the template hash, the
// collision count bumped on a name clash), and moved to the highest revision number when reused.

import { ApiError } from '../../api/errors.js';
import type { Pod } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import type { ApiClient } from '../../client/client.js';
import { claim } from '../shared/claim.js';
import { computeTemplateHash, goJson } from '../shared/hash.js';
import { CONTROLLER_REVISIONS, DAEMON_SETS } from '../shared/informers.js';
import { newControllerRef } from '../shared/owner.js';
import type { ControllerRevision, DaemonSet } from '../shared/types.js';

export const REVISION_HASH = 'controller-revision-hash';

/** The revision data: a strategic patch replacing spec.template, serialized as Go does (getPatch). */
export function revisionData(ds: DaemonSet): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...structuredClone(ds.spec.template), $patch: 'replace' } } };
}

export function matches(ds: DaemonSet, rev: ControllerRevision): boolean {
  return goJson(rev.data) === goJson(revisionData(ds));
}

export interface History {
  current: ControllerRevision;
  old: ControllerRevision[];
  hash: string;
}

export async function constructHistory(client: ApiClient, ds: DaemonSet, candidates: ControllerRevision[]): Promise<History> {
  const revisions = await claim({
    client,
    owner: ds,
    ownerRef: newControllerRef(ds, 'apps/v1', 'DaemonSet'),
    ownerInfo: DAEMON_SETS,
    info: CONTROLLER_REVISIONS,
    selector: labelSelectorFromSpec(ds.spec.selector),
    candidates,
  });
  const currentOnes = revisions.filter((r) => matches(ds, r));
  let old = revisions.filter((r) => !currentOnes.includes(r));
  const next = old.reduce((m, r) => Math.max(m, r.revision), 0) + 1;
  let current: ControllerRevision;
  if (!currentOnes.length) {
    current = await snapshot(client, ds, next);
  } else {
    // Duplicates of the current data: keep the newest, delete the rest.
    currentOnes.sort((a, b) => b.revision - a.revision);
    current = currentOnes[0]!;
    for (const dup of currentOnes.slice(1)) await deleteRevision(client, dup);
    if (current.revision < next) {
      current = await client.patch<ControllerRevision>(CONTROLLER_REVISIONS, ds.metadata.namespace!, current.metadata.name!, { revision: next });
    }
  }
  old = old.filter((r) => r.metadata.name !== current.metadata.name);
  return { current, old, hash: current.metadata.labels?.[REVISION_HASH] ?? '' };
}

async function snapshot(client: ApiClient, ds: DaemonSet, revision: number): Promise<ControllerRevision> {
  const hash = computeTemplateHash(ds.spec.template, ds.status?.collisionCount);
  const name = `${ds.metadata.name}-${hash}`;
  const rev: ControllerRevision = {
    metadata: {
      name,
      namespace: ds.metadata.namespace,
      labels: { ...(ds.spec.template.metadata?.labels ?? {}), [REVISION_HASH]: hash },
      ...(ds.metadata.annotations ? { annotations: { ...ds.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data: revisionData(ds),
    revision,
  };
  try {
    return await client.create<ControllerRevision>(CONTROLLER_REVISIONS, ds.metadata.namespace!, rev);
  } catch (err) {
    if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
    const existing = await client.get<ControllerRevision>(CONTROLLER_REVISIONS, ds.metadata.namespace!, name);
    if (matches(ds, existing)) return existing;
    // A different template under this name: bump the collision count, unless ours was stale.
    const fresh = await client.get<DaemonSet>(DAEMON_SETS, ds.metadata.namespace!, ds.metadata.name!);
    if ((fresh.status?.collisionCount ?? undefined) === (ds.status?.collisionCount ?? undefined)) {
      const status = { ...(fresh.status ?? { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }) };
      status.collisionCount = (status.collisionCount ?? 0) + 1;
      await client.update(DAEMON_SETS, { ...fresh, status }, 'status');
    }
    throw err;
  }
}

/** Deletes the oldest revisions beyond revisionHistoryLimit that no live pod still runs. */
export async function cleanupHistory(client: ApiClient, ds: DaemonSet, old: ControllerRevision[], pods: Pod[]): Promise<void> {
  const limit = ds.spec.revisionHistoryLimit ?? 10;
  const excess = old.length - limit;
  if (excess <= 0) return;
  const live = new Set(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.labels?.[REVISION_HASH]).filter(Boolean));
  const removable = old.filter((r) => !live.has(r.metadata.labels?.[REVISION_HASH])).sort((a, b) => a.revision - b.revision);
  for (const r of removable.slice(0, excess)) await deleteRevision(client, r);
}

async function deleteRevision(client: ApiClient, r: ControllerRevision): Promise<void> {
  try {
    await client.delete(CONTROLLER_REVISIONS, r.metadata.namespace!, r.metadata.name!);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 404)) throw err;
  }
}
