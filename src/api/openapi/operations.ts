// The REST operations of every served resource, as Kubernetes' OpenAPI documents them, independent of
// the OpenAPI version they are written in.
import { groupVersion, resources, type ResourceInfo, type SubresourceInfo } from '../resources.js';
import type { GroupVersionKind, TypeDef } from '../schema/dsl.js';
import { commonSchemas, listSchemaForResource, schemaForKind, schemaForResource } from '../schema/catalog.js';

export interface ParamSpec {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly type: 'string' | 'integer' | 'boolean';
  readonly required?: boolean;
}

export type Body = { readonly kind: 'object'; readonly schema: TypeDef } | { readonly kind: 'patch' };

export interface ResponseSpec {
  readonly code: string;
  readonly description: string;
  /** A schema, `string` for plain text, or nothing. */
  readonly schema?: TypeDef | 'string';
}

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete' | 'head' | 'options';

export interface OperationSpec {
  readonly method: Method;
  readonly operationId: string;
  readonly description: string;
  readonly action: string;
  readonly gvk: GroupVersionKind;
  readonly tag: string;
  readonly params: readonly ParamSpec[];
  readonly body?: Body;
  readonly responses: readonly ResponseSpec[];
  readonly produces: readonly string[];
  readonly consumes: readonly string[];
}

export interface PathSpec {
  readonly path: string;
  readonly params: readonly ParamSpec[];
  readonly operations: readonly OperationSpec[];
}

// ---- parameters ----------------------------------------------------------------------------------

const q = (name: string, type: ParamSpec['type'], description: string): ParamSpec => ({ name, in: 'query', type, description });
const p = (name: string, description: string): ParamSpec => ({ name, in: 'path', type: 'string', description, required: true });

const P = {
  name: p('name', 'Name of the object.'),
  namespace: p('namespace', 'Namespace of the objects.'),
  path: p('path', 'Path to proxy to.'),
  pretty: q('pretty', 'string', "When 'true', the output is indented."),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'Ask for BOOKMARK events in a watch.'),
  continue: q('continue', 'string', 'Token from a previous page of a limited list.'),
  fieldSelector: q('fieldSelector', 'string', 'Select objects by field values; everything by default.'),
  labelSelector: q('labelSelector', 'string', 'Select objects by labels; everything by default.'),
  limit: q('limit', 'integer', 'Most items to return; the list then carries a continue token.'),
  resourceVersion: q('resourceVersion', 'string', 'Which version of the data a list or watch is served from.'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', 'Start a watch with synthetic events for the current state.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Seconds after which a list or watch ends.'),
  watch: q('watch', 'boolean', 'Watch for changes instead of listing.'),
  dryRun: q('dryRun', 'string', 'When All, run every stage without persisting anything.'),
  fieldManager: q('fieldManager', 'string', 'Name of the actor making the change, recorded in managedFields.'),
  fieldValidation: q(
    'fieldValidation',
    'string',
    'What to do with unknown or duplicate fields: Ignore them, Warn about them, or reject the request (Strict).',
  ),
  force: q('force', 'boolean', 'For apply requests: take over fields owned by other managers.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; zero deletes at once.'),
  ignoreStoreReadError: q(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'Delete even when the stored object cannot be read. Dangerous.',
  ),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  propagationPolicy: q('propagationPolicy', 'string', 'How dependents are collected: Orphan, Background or Foreground.'),
  container: q('container', 'string', 'Container to use; may be left out when the pod has one container.'),
  command: q('command', 'string', 'Command to run; repeat the parameter for each argument.'),
  stdin: q('stdin', 'boolean', 'Attach standard input.'),
  stdout: q('stdout', 'boolean', 'Attach standard output.'),
  stderr: q('stderr', 'boolean', 'Attach standard error.'),
  tty: q('tty', 'boolean', 'Allocate a terminal.'),
  ports: q('ports', 'integer', 'Pod ports to forward.'),
  proxyPath: q('path', 'string', 'Path to proxy to.'),
  follow: q('follow', 'boolean', 'Stream the log as it grows.'),
  insecureSkipTLSVerifyBackend: q('insecureSkipTLSVerifyBackend', 'boolean', 'Do not verify the serving certificate of the node agent.'),
  limitBytes: q('limitBytes', 'integer', 'Most bytes of log to return.'),
  previous: q('previous', 'boolean', 'Log of the previous, terminated run of the container.'),
  sinceSeconds: q('sinceSeconds', 'integer', 'Only lines newer than this many seconds.'),
  stream: q('stream', 'string', 'Which stream to return: All, Stdout or Stderr.'),
  tailLines: q('tailLines', 'integer', 'Only this many lines from the end.'),
  timestamps: q('timestamps', 'boolean', 'Prefix each line with its RFC 3339 timestamp.'),
} as const;

const listParams = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
const patchParams = [...writeParams, P.force];
const deleteParams = [P.dryRun, P.gracePeriodSeconds, P.ignoreStoreReadError, P.orphanDependents, P.propagationPolicy];
const logParams = [
  P.container,
  P.follow,
  P.insecureSkipTLSVerifyBackend,
  P.limitBytes,
  P.previous,
  P.sinceSeconds,
  P.stream,
  P.tailLines,
  P.timestamps,
];
const connectParams: Record<string, ParamSpec[]> = {
  exec: [P.command, P.container, P.stderr, P.stdin, P.stdout, P.tty],
  attach: [P.container, P.stderr, P.stdin, P.stdout, P.tty],
  portforward: [P.ports],
  proxy: [P.proxyPath],
};

const httpMethodOf: Record<string, Method> = { get: 'get', create: 'post', update: 'put', delete: 'delete', patch: 'patch' };

// ---- naming --------------------------------------------------------------------------------------

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `core_v1`, `apps_v1`, `coordination_v1`: the tag and, camel-cased, the operation id prefix. */
function groupWord(r: { group: string }): string {
  return r.group === '' ? 'core' : r.group.replace(/\.k8s\.io$/, '').replace(/\./g, '');
}

const objectTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const watchTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const patchTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

const ok = (schema: TypeDef | 'string'): ResponseSpec => ({ code: '200', description: 'OK', schema });
const created = (schema: TypeDef): ResponseSpec => ({ code: '201', description: 'Created', schema });
const accepted = (schema: TypeDef): ResponseSpec => ({ code: '202', description: 'Accepted', schema });
const unauthorized: ResponseSpec = { code: '401', description: 'Unauthorized' };

// ---- operations of one resource ------------------------------------------------------------------

class ResourcePaths {
  private readonly gvId: string;
  private readonly tag: string;
  private readonly prefix: string;
  private readonly schema: TypeDef;
  private readonly listSchema: TypeDef;
  private readonly scope: string;
  readonly out: PathSpec[] = [];

  constructor(private readonly r: ResourceInfo) {
    const word = groupWord(r);
    this.gvId = `${pascal(word)}${pascal(r.version)}`;
    this.tag = `${word}_${r.version}`;
    this.prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    this.schema = schemaForResource(r);
    this.listSchema = listSchemaForResource(r);
    this.scope = r.namespaced ? 'Namespaced' : '';
  }

  private has(verb: string): boolean {
    return this.r.verbs.includes(verb);
  }

  private op(
    method: Method,
    verb: string,
    kindWord: string,
    description: string,
    action: string,
    fields: Partial<OperationSpec> & { gvk?: GroupVersionKind },
  ): OperationSpec {
    return {
      method,
      operationId: `${verb}${this.gvId}${kindWord}`,
      description,
      action,
      gvk: fields.gvk ?? { group: this.r.group, version: this.r.version, kind: this.r.kind },
      tag: this.tag,
      params: fields.params ?? [],
      ...(fields.body ? { body: fields.body } : {}),
      responses: fields.responses ?? [],
      produces: fields.produces ?? objectTypes,
      consumes: fields.consumes ?? ['*/*'],
    };
  }

  build(): PathSpec[] {
    const { r } = this;
    const ns = r.namespaced ? '/namespaces/{namespace}' : '';
    const nsParams = r.namespaced ? [P.namespace] : [];
    const kind = `${this.scope}${r.kind}`;
    const plural = r.resource;
    const collection: OperationSpec[] = [];
    if (this.has('list')) {
      collection.push(
        this.op('get', 'list', kind, `list or watch ${plural}`, 'list', {
          params: listParams,
          responses: [ok(this.listSchema), unauthorized],
          produces: watchTypes,
        }),
      );
    }
    if (this.has('create')) {
      collection.push(
        this.op('post', 'create', kind, `create a ${r.kind}`, 'post', {
          params: writeParams,
          body: { kind: 'object', schema: this.schema },
          responses: [ok(this.schema), created(this.schema), accepted(this.schema), unauthorized],
        }),
      );
    }
    if (this.has('deletecollection')) {
      collection.push(
        this.op('delete', 'delete', `Collection${kind}`, `delete a collection of ${plural}`, 'deletecollection', {
          params: [...deleteParams, ...listParams.filter((x) => x !== P.watch && x !== P.allowWatchBookmarks)],
          body: { kind: 'object', schema: commonSchemas.DeleteOptions },
          responses: [ok(commonSchemas.Status), unauthorized],
        }),
      );
    }
    this.add(`${this.prefix}${ns}/${plural}`, [...nsParams, P.pretty], collection);

    const item: OperationSpec[] = [];
    if (this.has('get')) {
      item.push(this.op('get', 'read', kind, `read the specified ${r.kind}`, 'get', { responses: [ok(this.schema), unauthorized] }));
    }
    if (this.has('update')) {
      item.push(
        this.op('put', 'replace', kind, `replace the specified ${r.kind}`, 'put', {
          params: writeParams,
          body: { kind: 'object', schema: this.schema },
          responses: [ok(this.schema), created(this.schema), unauthorized],
        }),
      );
    }
    if (this.has('patch')) item.push(this.patchOp(kind, `partially update the specified ${r.kind}`, this.schema));
    if (this.has('delete')) {
      item.push(
        this.op('delete', 'delete', kind, `delete a ${r.kind}`, 'delete', {
          params: deleteParams,
          body: { kind: 'object', schema: commonSchemas.DeleteOptions },
          responses: [ok(commonSchemas.Status), accepted(commonSchemas.Status), unauthorized],
        }),
      );
    }
    const itemPath = `${this.prefix}${ns}/${plural}/{name}`;
    this.add(itemPath, [P.name, ...nsParams, P.pretty], item);

    if (r.namespaced && this.has('list')) {
      this.add(`${this.prefix}/${plural}`, [P.pretty, ...listParams], [
        this.op('get', 'list', `${r.kind}ForAllNamespaces`, `list or watch ${plural} of every namespace`, 'list', {
          responses: [ok(this.listSchema), unauthorized],
          produces: watchTypes,
        }),
      ]);
    }
    if (this.has('watch')) this.watchPaths(ns, nsParams);
    for (const sub of r.subresources) this.subresource(sub, itemPath, nsParams);
    return this.out;
  }

  private patchOp(kindWord: string, description: string, schema: TypeDef, gvk?: GroupVersionKind): OperationSpec {
    return this.op('patch', 'patch', kindWord, description, 'patch', {
      params: patchParams,
      body: { kind: 'patch' },
      responses: [ok(schema), created(schema), unauthorized],
      consumes: patchTypes,
      ...(gvk ? { gvk } : {}),
    });
  }

  private watchPaths(ns: string, nsParams: ParamSpec[]): void {
    const { r } = this;
    const kind = `${this.scope}${r.kind}`;
    const event = commonSchemas.WatchEvent;
    const watchOp = (verb: string, word: string, description: string, action: string) =>
      this.op('get', verb, word, description, action, { responses: [ok(event), unauthorized], produces: watchTypes });
    this.add(`${this.prefix}/watch${ns}/${r.resource}`, [...nsParams, P.pretty, ...listParams], [
      watchOp('watch', `${kind}List`, `watch changes to a list of ${r.resource}`, 'watchlist'),
    ]);
    this.add(`${this.prefix}/watch${ns}/${r.resource}/{name}`, [P.name, ...nsParams, P.pretty, ...listParams], [
      watchOp('watch', kind, `watch changes to one ${r.kind}`, 'watch'),
    ]);
    if (r.namespaced) {
      this.add(`${this.prefix}/watch/${r.resource}`, [P.pretty, ...listParams], [
        watchOp('watch', `${r.kind}ListForAllNamespaces`, `watch changes to ${r.resource} of every namespace`, 'watchlist'),
      ]);
    }
  }

  private subresource(sub: SubresourceInfo, itemPath: string, nsParams: ParamSpec[]): void {
    const { r } = this;
    const gvk: GroupVersionKind = { group: sub.group ?? r.group, version: sub.version ?? r.version, kind: sub.kind };
    const word = `${this.scope}${r.kind}${pascal(sub.name)}`;
    const path = `${itemPath}/${sub.name}`;
    const baseParams = [P.name, ...nsParams, P.pretty];
    const subject = `${sub.name} of the specified ${r.kind}`;

    if (sub.kind.endsWith('Options')) {
      const methods = sub.verbs.flatMap((v) => (httpMethodOf[v] ? [httpMethodOf[v]] : []));
      const connect = (m: Method) =>
        this.op(m, 'connect', `${pascal(m)}${word}`, `connect ${m.toUpperCase()} requests to ${subject}`, 'connect', {
          gvk,
          params: connectParams[sub.name] ?? [],
          responses: [ok('string'), unauthorized],
          produces: ['*/*'],
        });
      this.add(path, [P.name, ...nsParams], methods.map(connect));
      if (sub.name === 'proxy') {
        const withPath = (m: Method) => ({ ...connect(m), operationId: `connect${this.gvId}${pascal(m)}${word}WithPath` });
        this.add(`${path}/{path}`, [P.name, ...nsParams, P.path], methods.map(withPath));
      }
      return;
    }
    if (sub.name === 'log') {
      this.add(path, baseParams, [
        this.op('get', 'read', word, `read the log of the specified ${r.kind}`, 'get', {
          gvk,
          params: logParams,
          responses: [ok('string'), unauthorized],
          produces: ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
        }),
      ]);
      return;
    }
    const schema = schemaForKind(gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, gvk.kind);
    if (!schema) throw new Error(`no schema for subresource ${r.resource}/${sub.name} (${gvk.kind})`);
    const ops: OperationSpec[] = [];
    if (sub.verbs.includes('get')) {
      ops.push(this.op('get', 'read', word, `read ${subject}`, 'get', { gvk, responses: [ok(schema), unauthorized] }));
    }
    if (sub.verbs.includes('create')) {
      ops.push(
        this.op('post', 'create', word, `create ${subject}`, 'post', {
          gvk,
          params: writeParams,
          body: { kind: 'object', schema },
          responses: [ok(schema), created(schema), accepted(schema), unauthorized],
        }),
      );
    }
    if (sub.verbs.includes('update')) {
      ops.push(
        this.op('put', 'replace', word, `replace ${subject}`, 'put', {
          gvk,
          params: writeParams,
          body: { kind: 'object', schema },
          responses: [ok(schema), created(schema), unauthorized],
        }),
      );
    }
    if (sub.verbs.includes('patch')) ops.push(this.patchOp(word, `partially update ${subject}`, schema, gvk));
    this.add(path, baseParams, ops);
  }

  private add(path: string, params: readonly ParamSpec[], operations: readonly OperationSpec[]): void {
    if (operations.length) this.out.push({ path, params, operations });
  }
}

/** Every path of the resources of one group version (`v1`, `apps/v1`). */
export function pathsOfGroupVersion(gv: string): PathSpec[] {
  return resources.filter((r) => groupVersion(r) === gv).flatMap((r) => new ResourcePaths(r).build());
}

/** The schemas a set of paths refers to directly. */
export function schemasOfPaths(paths: readonly PathSpec[]): TypeDef[] {
  const out = new Set<TypeDef>([commonSchemas.Status, commonSchemas.DeleteOptions]);
  for (const path of paths) {
    for (const op of path.operations) {
      if (op.body?.kind === 'object') out.add(op.body.schema);
      if (op.body?.kind === 'patch') out.add(commonSchemas.Patch);
      for (const res of op.responses) if (res.schema && res.schema !== 'string') out.add(res.schema);
    }
  }
  return [...out];
}
