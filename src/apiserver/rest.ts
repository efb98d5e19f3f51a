// The REST verbs on resources: get, list, create, update, patch, delete, deletecollection, with
// Kubernetes' query parameters, content negotiation (JSON, Table, PartialObjectMetadata), field
// validation and dry run. Watches and special subresources have their own modules.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/types.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { errors } from '../api/errors.js';
import { parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, patchTypeFor, serverSideApply } from '../api/patch/index.js';
import { findUnknownFields, pruneUnknownFields, strictDecodingError } from '../api/schema/index.js';
import { toTable, type IncludeObject } from '../api/tables/index.js';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from '../api/event-versions.js';
import { addWarnings, decodeObjectBody, parseAccept, parseJson, parseYaml, readBody, sendJson, mediaType } from './http.js';
import { writtenJsonOf, type DeleteOptions, type ListOptions, type Registry, type WriteContext, type UserInfo } from './registry.js';
import type { ResourceRequest } from './request-info.js';
import { checkFieldSelector } from './fields.js';
import type { CachedObject } from './watch-cache.js';

export interface RestContext {
  registry: Registry;
  user: UserInfo;
  now(): number;
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') {
    throw errors.badRequest(`fieldValidation parameter unsupported: ${v}. Valid values are Strict, Warn, Ignore`);
  }
  return v;
}

function writeContext(query: URLSearchParams, user: UserInfo, defaultManager: string): WriteContext {
  const dryRun = query.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw errors.badRequest(`Invalid dry run value: ${d}`);
  return { user, dryRun: dryRun.length > 0, fieldManager: query.get('fieldManager') || defaultManager, warnings: [] };
}

/** The field manager Kubernetes derives from the User-Agent when none is given (`kubectl`, `node-fetch`). */
function managerFromAgent(req: IncomingMessage): string {
  const agent = req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0]!.slice(0, 128) || 'unknown';
}

/** Checks that the body is this resource's kind and version, the way Kubernetes' decoder does. */
function checkTypeMeta(info: ResourceInfo, obj: unknown, { fillTypeMeta = true } = {}): KubeObject {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the request body must be a JSON or YAML object');
  const o = obj as KubeObject;
  const expected = groupVersion(info);
  const kind = info.kind;
  // Kubernetes' decoder fills a missing kind, and a missing apiVersion, from the endpoint's
  // (client-node's typed clients send neither). An apply configuration must name both.
  if (fillTypeMeta) {
    if (o.kind === undefined || o.kind === '') o.kind = kind;
    if (o.apiVersion === undefined || o.apiVersion === '') o.apiVersion = expected;
  }
  if (o.kind === undefined || o.kind === '') {
    throw errors.badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj).slice(0, 200)}'`);
  }
  if (o.apiVersion && o.apiVersion !== expected) {
    throw errors.badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (o.kind !== kind) {
    // Kubernetes names the version alone first, then the group/version and the scheme's call site.
    throw errors.badRequest(
      `${o.kind} in version "${info.version}" cannot be handled as a ${kind}: no kind "${o.kind}" is registered for version "${expected}" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"`,
    );
  }
  if (o.metadata !== undefined && (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))) {
    throw errors.badRequest(`${kind} in version "${expected}" cannot be handled as a ${kind}: json: cannot unmarshal into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  }
  o.metadata ??= {};
  return o;
}

/** Strict refuses unknown fields; Warn and Ignore drop them (Warn says so), as decoding into Kubernetes' types does. */
function validateFields(info: ResourceInfo, obj: KubeObject, mode: FieldValidation, ctx: WriteContext): void {
  if (mode === 'Strict') {
    const unknown = findUnknownFields(groupVersion(info), info.kind, obj);
    if (unknown.length) throw strictDecodingError(groupVersion(info), info.kind, unknown);
    return;
  }
  const dropped = pruneUnknownFields(groupVersion(info), info.kind, obj);
  if (mode === 'Warn') for (const path of dropped) ctx.warnings.push(`unknown field "${path}"`);
}

/** events.k8s.io/v1 reads and writes the core Event store. */
function isEventsV1(info: ResourceInfo): boolean {
  return info.group === 'events.k8s.io';
}
function toStored(info: ResourceInfo, obj: KubeObject): KubeObject {
  return isEventsV1(info) ? eventsV1ToCoreEvent(obj) : obj;
}
function fromStored(info: ResourceInfo, obj: KubeObject): KubeObject {
  return isEventsV1(info) ? coreEventToEventsV1(obj) : obj;
}

/** The resource the registry stores `info`'s objects under (core events for events.k8s.io). */
export function storageResource(registry: Registry, info: ResourceInfo): ResourceInfo {
  return isEventsV1(info) ? registry.resourceByKind('v1', 'Event') : info;
}

export function respondObject(req: IncomingMessage, res: ServerResponse, info: ResourceInfo, code: number, obj: KubeObject, now: number, warnings: string[] = []): void {
  addWarnings(res, warnings);
  const accept = parseAccept(req.headers.accept);
  const out = fromStored(info, obj);
  if (accept.table) return sendJson(res, code, tableOf(info, [out], now, includeObjectOf(new URL(req.url ?? '/', 'http://x').searchParams)));
  if (accept.metadataOnly) return sendJson(res, code, partialMetadata(out));
  sendJson(res, code, (out === obj ? writtenJsonOf(obj) : undefined) ?? out);
}

function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject') ?? 'Metadata';
  if (v !== 'None' && v !== 'Metadata' && v !== 'Object') throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
  return v;
}

export function tableOf(info: ResourceInfo, objects: KubeObject[], now: number, includeObject: IncludeObject, noHeaders = false) {
  return toTable(groupVersion(info), info.kind, objects, { now, includeObject, noHeaders });
}

export function partialMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function listOptions(info: ResourceInfo, query: URLSearchParams): ListOptions {
  const fieldSelector = parseFieldSelector(query.get('fieldSelector'));
  checkFieldSelector(info.group, info.resource, fieldSelector, info.namespaced);
  const limit = query.get('limit');
  return {
    labelSelector: parseLabelSelector(query.get('labelSelector')),
    fieldSelector,
    ...(limit ? { limit: Number(limit) } : {}),
    ...(query.get('continue') ? { continueToken: query.get('continue')! } : {}),
    ...(query.has('resourceVersion') ? { resourceVersion: query.get('resourceVersion')! } : {}),
    ...(query.get('resourceVersionMatch') ? { resourceVersionMatch: query.get('resourceVersionMatch')! } : {}),
  };
}

export async function handleGet(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const stored = storageResource(rc.registry, info);
  const obj = await rc.registry.get(stored, r.namespace, r.name, query.get('resourceVersion') ?? undefined);
  respondObject(req, res, info, 200, obj, rc.now());
}

export async function handleList(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const options = listOptions(info, query);
  if (options.resourceVersionMatch && !['Exact', 'NotOlderThan'].includes(options.resourceVersionMatch)) {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${options.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`);
  }
  if (options.resourceVersionMatch && !options.resourceVersion) {
    throw errors.badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  const result = await rc.registry.list(storageResource(rc.registry, info), r.namespace, options);
  const accept = parseAccept(req.headers.accept);
  const metadata: Record<string, unknown> = { resourceVersion: String(result.revision) };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remaining !== undefined) metadata.remainingItemCount = result.remaining;
  if (accept.table) {
    const table = tableOf(info, result.items.map((i) => fromStored(info, i.object)), rc.now(), includeObjectOf(query));
    table.metadata = metadata as typeof table.metadata;
    return sendJson(res, 200, table);
  }
  if (accept.metadataOnly) {
    return sendJson(res, 200, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata,
      items: result.items.map((i) => partialMetadata(i.object)),
    });
  }
  sendJson(res, 200, listJson(info, metadata, result.items));
}

/** A List as text, joining each object's cached JSON (no re-encoding of 10,000 pods). */
function listJson(info: ResourceInfo, metadata: Record<string, unknown>, items: CachedObject[]): string {
  const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(groupVersion(info))},"metadata":${JSON.stringify(metadata)},"items":[`;
  const body = isEventsV1(info) ? items.map((i) => JSON.stringify(coreEventToEventsV1(i.object))).join(',') : items.map((i) => i.json).join(',');
  return `${head}${body}]}`;
}

export async function handleCreate(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const ctx = writeContext(query, rc.user, managerFromAgent(req));
  const mode = fieldValidationOf(query);
  const body = await readBody(req);
  const obj = checkTypeMeta(info, decodeObjectBody(body, req.headers['content-type'], info.kind));
  if (mediaType(req.headers['content-type']) !== 'application/vnd.kubernetes.protobuf') validateFields(info, obj, mode, ctx);
  const created = await rc.registry.create(storageResource(rc.registry, info), r.namespace, toStored(info, obj), ctx);
  respondObject(req, res, info, 201, created, rc.now(), ctx.warnings);
}

export async function handleUpdate(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const ctx = writeContext(query, rc.user, managerFromAgent(req));
  const mode = fieldValidationOf(query);
  const body = await readBody(req);
  const obj = checkTypeMeta(info, decodeObjectBody(body, req.headers['content-type'], info.kind));
  validateFields(info, obj, mode, ctx);
  const { object, created } = await rc.registry.update(storageResource(rc.registry, info), r.namespace, r.name, toStored(info, obj), ctx, r.subresource);
  respondObject(req, res, info, created ? 201 : 200, object, rc.now(), ctx.warnings);
}

/** In Kubernetes' order, which its 415 message lists. */
const patchMediaTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

export async function handlePatch(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const contentType = mediaType(req.headers['content-type']);
  const type = patchTypeFor(contentType);
  if (!type) throw errors.unsupportedMediaType(patchMediaTypes);
  const ctx = writeContext(query, rc.user, managerFromAgent(req));
  const mode = fieldValidationOf(query);
  const body = await readBody(req);
  const stored = storageResource(rc.registry, info);
  const apiVersion = groupVersion(info);

  if (type === 'apply') {
    const manager = query.get('fieldManager');
    if (!manager) throw errors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const applied = checkTypeMeta(info, parseYaml(body), { fillTypeMeta: false });
    if (applied.metadata.name && applied.metadata.name !== r.name) {
      throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${r.name})`);
    }
    validateFields(info, applied, mode, ctx);
    const force = query.get('force') === 'true';
    const applyCtx: WriteContext = { ...ctx, fieldManager: '__apply__' };
    const { object, created } = await rc.registry.guaranteedUpdate(
      stored,
      r.namespace,
      r.name,
      applyCtx,
      (current) =>
        serverSideApply({
          live: current,
          applied: structuredClone(applied),
          manager,
          force,
          apiVersion,
          kind: info.kind,
          now: rc.registry.nowStamp(),
          ...(r.subresource ? { subresource: r.subresource } : {}),
        }),
      { subresource: r.subresource, allowCreate: !r.subresource },
    );
    respondObject(req, res, info, created ? 201 : 200, object, rc.now(), ctx.warnings);
    return;
  }

  const patch = parseJson(body);
  const { object } = await rc.registry.guaranteedUpdate(stored, r.namespace, r.name, ctx, (current) => {
    const base = fromStored(info, current!);
    const precondition = current!.metadata.resourceVersion;
    const uid = current!.metadata.uid;
    let next: unknown;
    if (type === 'json') next = applyJsonPatch(base, patch);
    else if (type === 'merge') next = applyMergePatch(base, patch);
    // `current` is the registry's private copy: the merge may happen in it.
    else next = applyStrategicMergePatch(base, patch, apiVersion, info.kind, true);
    const result = checkTypeMeta(info, next);
    if (result.metadata.resourceVersion && result.metadata.resourceVersion !== precondition) throw errors.modifiedConflict(info, r.name);
    checkUidPrecondition(info, r.name, result, uid);
    validateFields(info, result, mode, ctx);
    return toStored(info, result);
  }, { subresource: r.subresource });
  respondObject(req, res, info, 200, object, rc.now(), ctx.warnings);
}

/** A uid in the body must be the stored object's: a write meant for an earlier incarnation fails. */
function checkUidPrecondition(info: ResourceInfo, name: string, body: KubeObject, currentUid: string | undefined): void {
  const uid = body.metadata.uid;
  if (uid && uid !== currentUid) {
    throw errors.conflict(info, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${currentUid}`);
  }
}

/** DeleteOptions from the body (kubectl) or the query (client libraries). */
async function deleteOptions(req: IncomingMessage, query: URLSearchParams): Promise<DeleteOptions> {
  const body = await readBody(req);
  let options: DeleteOptions = {};
  if (body.length && body.toString('utf8').trim()) {
    const parsed = parseJson(body);
    if (parsed && typeof parsed === 'object') options = parsed as DeleteOptions;
  }
  if (query.has('gracePeriodSeconds')) options.gracePeriodSeconds = Number(query.get('gracePeriodSeconds'));
  if (query.has('propagationPolicy')) options.propagationPolicy = query.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (query.has('orphanDependents')) options.orphanDependents = query.get('orphanDependents') === 'true';
  if (query.getAll('dryRun').length) options.dryRun = query.getAll('dryRun');
  const policy = options.propagationPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const grace = options.gracePeriodSeconds;
  if (grace !== undefined && !Number.isInteger(grace)) throw errors.badRequest(`invalid gracePeriodSeconds: ${grace}`);
  // A negative grace period means "the object's default", as Kubernetes treats it.
  if (grace !== undefined && grace < 0) delete options.gracePeriodSeconds;
  return options;
}

/** Kinds whose DELETE answers with the object rather than a Status. */
const returnsObjectOnDelete = new Set(['pods', 'services']);

export async function handleDelete(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const options = await deleteOptions(req, query);
  const ctx = writeContext(query, rc.user, managerFromAgent(req));
  const { object, gone } = await rc.registry.delete(storageResource(rc.registry, info), r.namespace, r.name, options, ctx);
  if (!gone || returnsObjectOnDelete.has(info.resource)) return respondObject(req, res, info, 200, object, rc.now());
  sendJson(res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: r.name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: object.metadata.uid },
  });
}

export async function handleDeleteCollection(rc: RestContext, req: IncomingMessage, res: ServerResponse, info: ResourceInfo, r: ResourceRequest, query: URLSearchParams): Promise<void> {
  const options = await deleteOptions(req, query);
  const ctx = writeContext(query, rc.user, managerFromAgent(req));
  const stored = storageResource(rc.registry, info);
  const list = await rc.registry.list(stored, r.namespace, listOptions(info, query));
  const deleted: KubeObject[] = [];
  for (const item of list.items) {
    try {
      const { object } = await rc.registry.delete(stored, item.object.metadata.namespace ?? '', item.object.metadata.name!, options, ctx);
      deleted.push(fromStored(info, object));
    } catch (err) {
      if (!(err instanceof Error && 'status' in err && (err as { code?: number }).code === 404)) throw err;
    }
  }
  sendJson(res, 200, { kind: info.listKind, apiVersion: groupVersion(info), metadata: { resourceVersion: String(rc.registry.hub.revision) }, items: deleted });
}
