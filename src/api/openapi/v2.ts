// OpenAPI v2 (Swagger 2.0): one document for everything, served as JSON and as the gnostic protobuf
// that kubectl 1.27/1.28 read for validation and explain. Built on first use and kept in memory.
import { groupVersion, groupVersions } from '../resources.js';
import { allKinds, closure } from '../schema/catalog.js';
import { contentHash } from './hash.js';
import { definitionSchema, refSchema, type JsonObject } from './schema-object.js';
import { pathsOfGroupVersion, schemasOfPaths, type OperationSpec, type ParamSpec, type PathSpec } from './operations.js';
import { encodeOpenAPIv2 } from './gnostic.js';
import { KUBERNETES_VERSION, OPENAPI_TITLE } from './version.js';
import type { ServedDocument } from './v3.js';

/**
 * The content type of the protobuf form in replies. Clients ask for it under this name or under the
 * older `...spec.v2@v1.0+protobuf`, which Go's media type parser cannot read back in a reply.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Accept values that select the protobuf form. */
export const OPENAPI_V2_PROTOBUF_ACCEPTS: readonly string[] = [
  OPENAPI_V2_PROTOBUF,
  'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
];

function parameter(p: ParamSpec): JsonObject {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function operation(op: OperationSpec): JsonObject {
  const params = op.params.map(parameter);
  if (op.body) {
    const schema = refSchema(
      op.body.kind === 'object' ? op.body.schema.name : 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
      'v2',
    );
    params.unshift({ name: 'body', in: 'body', required: true, schema });
  }
  const responses: JsonObject = {};
  for (const r of op.responses) {
    if (!r.schema) responses[r.code] = { description: r.description };
    else {
      const schema = r.schema === 'string' ? { type: 'string' } : refSchema(r.schema.name, 'v2');
      responses[r.code] = { description: r.description, schema };
    }
  }
  return {
    description: op.description,
    consumes: [...op.consumes],
    produces: [...op.produces],
    schemes: ['https'],
    tags: [op.tag],
    operationId: op.operationId,
    ...(params.length ? { parameters: params } : {}),
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

function buildDocument(): JsonObject {
  const specs = groupVersions().flatMap((gv) => pathsOfGroupVersion(groupVersion(gv)));
  const paths: JsonObject = {};
  for (const spec of specs) paths[spec.path] = pathItem(spec);
  const definitions: JsonObject = {};
  for (const def of closure([...allKinds(), ...schemasOfPaths(specs)])) definitions[def.name] = definitionSchema(def, 'v2');
  return {
    swagger: '2.0',
    info: { title: OPENAPI_TITLE, version: KUBERNETES_VERSION },
    paths,
    definitions,
    securityDefinitions: {
      BearerToken: { description: 'Bearer token authentication', type: 'apiKey', name: 'authorization', in: 'header' },
    },
    security: [{ BearerToken: [] }],
  };
}

let document: JsonObject | undefined;
let json: ServedDocument | undefined;
let protobuf: ServedDocument | undefined;

function v2Document(): JsonObject {
  return (document ??= buildDocument());
}

/** GET /openapi/v2 with Accept: application/json. */
export function openapiV2Json(): ServedDocument {
  if (!json) {
    const body = Buffer.from(JSON.stringify(v2Document()));
    json = { body, hash: contentHash(body) };
  }
  return json;
}

/** GET /openapi/v2 with Accept: the gnostic protobuf content type. */
export function openapiV2Protobuf(): Buffer {
  if (!protobuf) {
    const body = encodeOpenAPIv2(v2Document());
    protobuf = { body, hash: contentHash(body) };
  }
  return protobuf.body;
}

/** ETag-style hash of the protobuf form, which changes whenever the document does. */
export function openapiV2ProtobufHash(): string {
  openapiV2Protobuf();
  return protobuf!.hash;
}
