// The registry strategy of CertificateSigningRequests: the requestor is recorded from the request's
// user, never from the body; the main endpoint changes metadata only, /approval only the Approved
// and Denied conditions, /status everything else of the status (the certificate, Failed).

import type { KubeObject } from '../api/types.js';
import type { Strategy } from './strategies.js';

type Condition = { type?: string; lastUpdateTime?: string; lastTransitionTime?: string; [k: string]: unknown };
type CsrStatus = { conditions?: Condition[]; certificate?: string };

const APPROVAL = new Set(['Approved', 'Denied']);

const conditionsOf = (obj: KubeObject): Condition[] => {
  const list = (obj.status as CsrStatus | undefined)?.conditions;
  return Array.isArray(list) ? list : [];
};

/** `next` becomes `current` with the given status (metadata as `next` has it). */
function keepAllBut(next: KubeObject, current: KubeObject, status: CsrStatus, keepMetadata: boolean): void {
  const metadata = keepMetadata ? next.metadata : { ...current.metadata, managedFields: next.metadata.managedFields };
  for (const k of Object.keys(next)) delete next[k];
  Object.assign(next, structuredClone(current), { metadata });
  if (status.conditions?.length || status.certificate) next.status = status;
  else delete next.status;
}

function stamp(conditions: Condition[], now: string): Condition[] {
  return conditions.map((c) => ({ ...c, lastUpdateTime: c.lastUpdateTime || now, lastTransitionTime: c.lastTransitionTime || now }));
}

export const certificateSigningRequestStrategy = (base: Strategy): Strategy => ({
  ...base,
  prepareForCreate(obj, _registry, ctx) {
    const spec = ((obj.spec as Record<string, unknown> | undefined) ?? {}) as Record<string, unknown>;
    delete spec.uid;
    delete spec.extra;
    spec.username = ctx.user.name;
    spec.groups = [...ctx.user.groups];
    if (!ctx.user.groups.length) delete spec.groups;
    obj.spec = spec;
    delete obj.status;
  },
  prepareForUpdate(next, current, subresource) {
    const old = (current.status as CsrStatus | undefined) ?? {};
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (subresource === '') {
      keepAllBut(next, current, old, true);
    } else if (subresource === 'approval') {
      const approval = stamp(conditionsOf(next).filter((c) => APPROVAL.has(c.type ?? '')), now);
      const others = (old.conditions ?? []).filter((c) => !APPROVAL.has(c.type ?? ''));
      keepAllBut(next, current, { ...(old.certificate ? { certificate: old.certificate } : {}), conditions: [...approval, ...others] }, false);
    } else if (subresource === 'status') {
      const status = ((next.status as CsrStatus | undefined) ?? {}) as CsrStatus;
      const approval = (old.conditions ?? []).filter((c) => APPROVAL.has(c.type ?? ''));
      const others = stamp(conditionsOf(next).filter((c) => !APPROVAL.has(c.type ?? '')), now);
      next.status = { ...status, conditions: [...approval, ...others] };
      if (!(next.status as CsrStatus).conditions!.length) delete (next.status as CsrStatus).conditions;
    }
  },
});
