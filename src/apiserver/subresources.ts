// Subresources with their own semantics: scale (autoscaling/v1 Scale over a workload's replicas),
// binding (the scheduler's write of spec.nodeName), eviction (a delete that respects
// PodDisruptionBudgets).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, Pod } from '../api/types.js';
import type { ResourceInfo } from '../api/resources.js';
import { errors, field } from '../api/errors.js';
import { applyJsonPatch, applyMergePatch, patchTypeFor } from '../api/patch/index.js';
import { labelSelectorFromSpec, formatLabelSelector, type LabelSelectorSpec } from '../api/selectors.js';
import { parseJson, readBody, sendJson, mediaType, decodeObjectBody } from './http.js';
import type { RestContext } from './rest.js';
import { validateBinding } from '../api/validation/pod.js';
import type { ResourceRequest } from './request-info.js';
import type { WriteContext } from './registry.js';
import { DEFAULT_AUDIENCE, type ServiceAccountTokens } from './service-account-tokens.js';
import { rfc3339 } from '../util/clock.js';

function ctxOf(rc: RestContext, query: URLSearchParams, manager: string): WriteContext {
  return { user: rc.user, dryRun: query.getAll('dryRun').length > 0, fieldManager: query.get('fieldManager') || manager, warnings: [] };
}

function toScale(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelectorSpec };
  const status = (obj.status ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(labelSelectorFromSpec(spec.selector)) },
  };
}

export async function handleScale(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  if (r.verb === 'get') {
    const obj = await rc.registry.get(info, r.namespace, r.name);
    return sendJson(res, 200, toScale(obj));
  }
  const body = await readBody(req);
  const ctx = ctxOf(rc, query, 'kubectl');
  const { object } = await rc.registry.guaranteedUpdate(info, r.namespace, r.name, ctx, (current) => {
    const scale = toScale(current!);
    let next: KubeObject;
    if (r.verb === 'update') {
      next = decodeObjectBody(body, req.headers['content-type']) as KubeObject;
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== current!.metadata.resourceVersion) throw errors.modifiedConflict(info, r.name);
    } else {
      const type = patchTypeFor(mediaType(req.headers['content-type']));
      const patch = parseJson(body);
      if (type === 'json') next = applyJsonPatch(scale, patch) as KubeObject;
      else if (type === 'merge' || type === 'strategic') next = applyMergePatch(scale, patch) as KubeObject;
      else throw errors.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
    }
    const replicas = (next.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', r.name, [field.invalid('spec.replicas', replicas ?? null, 'must be greater than or equal to 0')]);
    }
    (current!.spec as { replicas?: number }).replicas = replicas;
    return current!;
  });
  sendJson(res, 200, toScale(object));
}

export async function handleBinding(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const binding = decodeObjectBody(await readBody(req), req.headers['content-type']) as { target?: { name?: string; kind?: string }; metadata?: { name?: string } };
  const problems = validateBinding(binding);
  if (problems.length) throw errors.invalid('', 'Binding', binding.metadata?.name ?? r.name, problems);
  const node = binding.target!.name!;
  const ctx = ctxOf(rc, query, 'kube-scheduler');
  await rc.registry.guaranteedUpdate(info, r.namespace, r.name, ctx, (current) => {
    const pod = current as Pod;
    if (pod.metadata.deletionTimestamp) throw errors.conflict(info, r.name, `pod ${r.name} is being deleted, cannot be assigned to a host`);
    if (pod.spec.nodeName) throw errors.conflict(info, r.name, `pod ${r.name} is already assigned to node "${pod.spec.nodeName}"`);
    if (pod.spec.schedulingGates?.length) throw errors.conflict(info, r.name, `pod ${r.name} has non-empty .spec.schedulingGates`);
    pod.spec.nodeName = node;
    const conditions = (pod.status ??= {}).conditions ?? [];
    const now = rc.registry.nowStamp();
    const scheduled = conditions.find((c) => c.type === 'PodScheduled');
    if (scheduled) {
      if (scheduled.status !== 'True') scheduled.lastTransitionTime = now;
      scheduled.status = 'True';
      delete scheduled.reason;
      delete scheduled.message;
    } else {
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
    }
    pod.status.conditions = conditions;
    return pod;
  }, { subresource: 'binding' });
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

interface Pdb extends KubeObject {
  spec?: { selector?: LabelSelectorSpec };
  status?: { disruptionsAllowed?: number; desiredHealthy?: number; currentHealthy?: number; disruptedPods?: Record<string, string> };
}

export async function handleEviction(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const eviction = decodeObjectBody(await readBody(req), req.headers['content-type']) as { deleteOptions?: Record<string, unknown> };
  const pod = (await rc.registry.get(info, r.namespace, r.name)) as Pod;
  const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const ctx = ctxOf(rc, query, 'eviction');
  if (!terminal && !pod.metadata.deletionTimestamp) await takeDisruption(rc, pod, ctx);
  await rc.registry.delete(info, r.namespace, r.name, (eviction.deleteOptions ?? {}) as never, ctx);
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/**
 * Uses up one allowed disruption of the pod's budget, atomically (a compare-and-swap on the PDB's
 * status, recording the pod in disruptedPods), or refuses with 429 when none is left.
 */
async function takeDisruption(rc: RestContext, pod: Pod, ctx: WriteContext): Promise<void> {
  const pdbInfo = rc.registry.resourceByKind('policy/v1', 'PodDisruptionBudget');
  const everything = {
    labelSelector: { requirements: [], matches: () => true, empty: true },
    fieldSelector: { requirements: [], empty: true, matches: () => true, requiredValue: () => undefined },
  };
  const pdbs = await rc.registry.list(pdbInfo, pod.metadata.namespace!, everything);
  const matching = pdbs.items.map((i) => i.object as Pdb).filter((p) => labelSelectorFromSpec(p.spec?.selector).matches(pod.metadata.labels));
  if (matching.length > 1) {
    throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  const pdb = matching[0];
  if (!pdb) return;
  await rc.registry.guaranteedUpdate(pdbInfo, pod.metadata.namespace!, pdb.metadata.name!, ctx, (current) => {
    const budget = current as Pdb;
    const status = (budget.status ??= {});
    if ((status.disruptionsAllowed ?? 0) < 1) {
      const err = errors.tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10);
      err.status.details!.causes = [
        { reason: 'DisruptionBudget', message: `The disruption budget ${budget.metadata.name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently` },
      ];
      throw err;
    }
    status.disruptionsAllowed = (status.disruptionsAllowed ?? 0) - 1;
    status.disruptedPods = { ...(status.disruptedPods ?? {}), [pod.metadata.name!]: rc.registry.nowStamp() };
    return budget;
  }, { subresource: 'status' });
}

interface TokenRequest {
  spec?: { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; name?: string; uid?: string } };
}

/** POST serviceaccounts/{name}/token: a TokenRequest answered with a signed token. */
export async function handleTokenRequest(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, tokens: ServiceAccountTokens): Promise<void> {
  const body = decodeObjectBody(await readBody(req), req.headers['content-type']) as TokenRequest;
  const sa = await rc.registry.get(info, r.namespace, r.name);
  await rc.registry.admission?.admit({ operation: 'CREATE', resource: info, subresource: 'token', namespace: r.namespace, name: r.name, object: body as unknown as KubeObject, user: rc.user });
  const spec = body.spec ?? {};
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
    throw errors.invalid('authentication.k8s.io', 'TokenRequest', r.name, [field.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes')]);
  }
  let pod: { name: string; uid: string } | undefined;
  const bound = spec.boundObjectRef;
  if (bound?.kind === 'Pod' && bound.name) {
    const p = await rc.registry.get(rc.registry.resourceByKind('v1', 'Pod'), r.namespace, bound.name);
    if ((p.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName !== r.name) {
      throw errors.badRequest(`cannot bind token for serviceaccount ${JSON.stringify(r.name)} to pod running with different serviceaccount name.`);
    }
    if (bound.uid && p.metadata.uid !== bound.uid) throw errors.conflict({ group: '', resource: 'pods' }, bound.name, `the UID in the bound object reference (${bound.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    pod = { name: bound.name, uid: p.metadata.uid! };
  }
  const audiences = spec.audiences?.length ? spec.audiences : [DEFAULT_AUDIENCE];
  const { token, expiresAt } = tokens.issue(
    { namespace: r.namespace, serviceAccount: { name: r.name, uid: sa.metadata.uid! }, ...(pod ? { pod } : {}), audiences, expirationSeconds },
    rc.now(),
  );
  sendJson(res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: r.name, namespace: r.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: bound ?? null },
    status: { token, expirationTimestamp: rfc3339(expiresAt) },
  });
}
