// The authorization seam: what a request asks to do (Kubernetes' authorizer.Attributes) and what
// an authorizer answers. Authorizers run in order; the first Allow or Deny decides.

import type { UserInfo } from '../registry.js';

export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  /** A resource request; false for non-resource paths such as /version. */
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  /** The object's name; for a list or watch with `metadata.name=` selected, that name. */
  name: string;
  /** Field selector requirements of a list or watch, `field=value` (equality only). */
  fieldSelector: ReadonlyMap<string, string>;
}

export type Decision =
  | { decision: 'allow' }
  | { decision: 'deny'; reason: string }
  /** No opinion: the next authorizer decides; `reason` joins the denial message when none allows. */
  | { decision: 'noOpinion'; reason?: string };

export interface Authorizer {
  authorize(attrs: RequestAttributes): Decision;
}

export const allow: Decision = { decision: 'allow' };
export const noOpinion = (reason?: string): Decision => (reason ? { decision: 'noOpinion', reason } : { decision: 'noOpinion' });

/** The authorizers in order (Kubernetes' union authorizer): reasons of those with no opinion are kept. */
export class UnionAuthorizer implements Authorizer {
  constructor(private readonly chain: readonly Authorizer[]) {}

  authorize(attrs: RequestAttributes): Decision {
    const reasons: string[] = [];
    for (const a of this.chain) {
      const d = a.authorize(attrs);
      if (d.decision === 'allow') return d;
      if (d.reason) reasons.push(d.reason);
      if (d.decision === 'deny') return { decision: 'deny', reason: reasons.join('\n') };
    }
    return { decision: 'noOpinion', reason: reasons.join('\n') };
  }
}
