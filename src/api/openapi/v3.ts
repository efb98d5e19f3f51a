// OpenAPI v3: one document per group version, and the root that names them with their hashes.
// Built on first use and kept in memory.
import { groupVersion, groupVersions } from '../resources.js';
import { closure } from '../schema/catalog.js';
import { contentHash } from './hash.js';
import { definitionSchema, refSchema, type JsonObject } from './schema-object.js';
import { pathsOfGroupVersion, schemasOfPaths, type OperationSpec, type ParamSpec, type PathSpec } from './operations.js';
import { KUBERNETES_VERSION, OPENAPI_TITLE } from './version.js';

export interface ServedDocument {
  readonly body: Buffer;
  readonly hash: string;
}

function parameter(p: ParamSpec): JsonObject {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function content(types: readonly string[], schema: JsonObject): JsonObject {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function operation(op: OperationSpec): JsonObject {
  const responses: JsonObject = {};
  for (const r of op.responses) {
    if (!r.schema) responses[r.code] = { description: r.description };
    else {
      const schema = r.schema === 'string' ? { type: 'string' } : refSchema(r.schema.name, 'v3');
      responses[r.code] = { description: r.description, content: content(op.produces, schema) };
    }
  }
  const body =
    op.body?.kind === 'object'
      ? { content: content(['*/*'], refSchema(op.body.schema.name, 'v3')), required: true }
      : op.body?.kind === 'patch'
        ? { content: content(op.consumes, refSchema('io.k8s.apimachinery.pkg.apis.meta.v1.Patch', 'v3')), required: true }
        : undefined;
  return {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
    ...(op.params.length ? { parameters: op.params.map(parameter) } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
    'x-kubernetes-action': op.action,
    'x-kubernetes-group-version-kind': { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version },
  };
}

function pathItem(path: PathSpec): JsonObject {
  const item: JsonObject = {};
  for (const op of path.operations) item[op.method] = operation(op);
  item.parameters = path.params.map(parameter);
  return item;
}

function buildDocument(gv: string): JsonObject {
  const specs = pathsOfGroupVersion(gv);
  const paths: JsonObject = {};
  for (const spec of specs) paths[spec.path] = pathItem(spec);
  const schemas: JsonObject = {};
  for (const def of closure(schemasOfPaths(specs))) schemas[def.name] = definitionSchema(def, 'v3');
  return {
    openapi: '3.0.0',
    info: { title: OPENAPI_TITLE, version: KUBERNETES_VERSION },
    paths,
    components: {
      schemas,
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' },
      },
    },
  };
}

/** `api/v1`, `apis/apps/v1`: the path segment after /openapi/v3/. */
function documentPath(gv: { group: string; version: string }): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

let documents: Map<string, ServedDocument> | undefined;

function served(): Map<string, ServedDocument> {
  if (!documents) {
    documents = new Map();
    for (const gv of groupVersions()) {
      const body = Buffer.from(JSON.stringify(buildDocument(groupVersion(gv))));
      documents.set(documentPath(gv), { body, hash: contentHash(body) });
    }
  }
  return documents;
}

/** The OpenAPI v3 document of `api/v1` or `apis/<group>/<version>`, or undefined when not served. */
export function openapiV3Document(groupVersionPath: string): ServedDocument | undefined {
  return served().get(groupVersionPath.replace(/^\/+|\/+$/g, ''));
}

/** GET /openapi/v3: each document with its hashed, cacheable URL. */
export function openapiV3Root(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, doc] of served()) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  return { paths };
}
