// The gnostic OpenAPIv2 protobuf encoding of a Swagger 2.0 document: the form client-go downloads from
// /openapi/v2. Only the messages a Kubernetes document uses are declared; the field numbers are those
// of the openapi.v2 package.
import protobuf from 'protobufjs';
import type { JsonObject } from './schema-object.js';

const PROTO = `
syntax = "proto3";
package openapi.v2;

message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message StringArray { repeated string value = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }

message Info { string title = 1; string version = 2; string description = 3; repeated NamedAny vendor_extension = 7; }

message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; repeated NamedAny vendor_extension = 5; }
message SecurityDefinitionsItem { oneof oneof { ApiKeySecurity api_key_security = 2; } }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }

message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message Properties { repeated NamedSchema additional_properties = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message Schema {
  string _ref = 1;
  string format = 2;
  string title = 3;
  string description = 4;
  Any default = 5;
  bool unique_items = 16;
  repeated string required = 19;
  repeated Any enum = 20;
  AdditionalPropertiesItem additional_properties = 21;
  TypeItem type = 22;
  ItemsItem items = 23;
  repeated Schema all_of = 24;
  Properties properties = 25;
  repeated NamedAny vendor_extension = 31;
}
message Definitions { repeated NamedSchema additional_properties = 1; }

message JsonReference { string _ref = 1; string description = 2; }
message BodyParameter { string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5; repeated NamedAny vendor_extension = 6; }
message QueryParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; string type = 6; string format = 7;
  bool unique_items = 20; repeated NamedAny vendor_extension = 23;
}
message PathParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; string format = 6;
  bool unique_items = 19; repeated NamedAny vendor_extension = 22;
}
message NonBodyParameter { oneof oneof { QueryParameterSubSchema query_parameter_sub_schema = 3; PathParameterSubSchema path_parameter_sub_schema = 4; } }
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message ParametersItem { oneof oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }

message SchemaItem { oneof oneof { Schema schema = 1; } }
message Response { string description = 1; SchemaItem schema = 2; repeated NamedAny vendor_extension = 5; }
message ResponseValue { oneof oneof { Response response = 1; JsonReference json_reference = 2; } }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }

message Operation {
  repeated string tags = 1; string summary = 2; string description = 3; string operation_id = 5;
  repeated string produces = 6; repeated string consumes = 7; repeated ParametersItem parameters = 8;
  Responses responses = 9; repeated string schemes = 10; bool deprecated = 11; repeated NamedAny vendor_extension = 13;
}
message PathItem {
  string _ref = 1; Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5;
  Operation options = 6; Operation head = 7; Operation patch = 8; repeated ParametersItem parameters = 9;
  repeated NamedAny vendor_extension = 10;
}
message NamedPathItem { string name = 1; PathItem value = 2; }
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }

message Document {
  string swagger = 1; Info info = 2; string host = 3; string base_path = 4; repeated string schemes = 5;
  repeated string consumes = 6; repeated string produces = 7; Paths paths = 8; Definitions definitions = 9;
  repeated SecurityRequirement security = 12; SecurityDefinitions security_definitions = 13;
  repeated NamedAny vendor_extension = 16;
}
`;

let documentType: protobuf.Type | undefined;

function messageType(): protobuf.Type {
  documentType ??= protobuf.parse(PROTO, { keepCase: true }).root.lookupType('openapi.v2.Document');
  return documentType;
}

type Message = { [key: string]: unknown };

const asObject = (v: unknown): JsonObject => (v ?? {}) as JsonObject;

/** gnostic keeps extension values and defaults as YAML text; JSON is valid YAML. */
const anyOf = (value: unknown): Message => ({ yaml: `${JSON.stringify(value)}\n` });

function extensions(obj: JsonObject): Message[] {
  return Object.keys(obj)
    .filter((k) => k.startsWith('x-'))
    .map((k) => ({ name: k, value: anyOf(obj[k]) }));
}

function schema(s: JsonObject): Message {
  const m: Message = {};
  if (typeof s.$ref === 'string') m._ref = s.$ref;
  if (typeof s.format === 'string') m.format = s.format;
  if (typeof s.description === 'string') m.description = s.description;
  if (s.default !== undefined) m.default = anyOf(s.default);
  if (Array.isArray(s.required)) m.required = s.required;
  if (Array.isArray(s.enum)) m.enum = s.enum.map(anyOf);
  if (s.additionalProperties !== undefined) {
    m.additional_properties =
      typeof s.additionalProperties === 'boolean'
        ? { boolean: s.additionalProperties }
        : { schema: schema(asObject(s.additionalProperties)) };
  }
  if (typeof s.type === 'string') m.type = { value: [s.type] };
  if (s.items !== undefined) m.items = { schema: [schema(asObject(s.items))] };
  if (Array.isArray(s.allOf)) m.all_of = s.allOf.map((x) => schema(asObject(x)));
  if (s.properties !== undefined) {
    m.properties = {
      additional_properties: Object.entries(asObject(s.properties)).map(([name, v]) => ({ name, value: schema(asObject(v)) })),
    };
  }
  const ext = extensions(s);
  if (ext.length) m.vendor_extension = ext;
  return m;
}

function parameter(p: JsonObject): Message {
  if (typeof p.$ref === 'string') return { json_reference: { _ref: p.$ref } };
  if (p.in === 'body') {
    return {
      parameter: {
        body_parameter: {
          name: p.name,
          in: 'body',
          ...(p.required ? { required: true } : {}),
          ...(p.description ? { description: p.description } : {}),
          schema: schema(asObject(p.schema)),
        },
      },
    };
  }
  const common: Message = {
    name: p.name,
    in: p.in,
    ...(p.required ? { required: true } : {}),
    ...(p.description ? { description: p.description } : {}),
    ...(p.type ? { type: p.type } : {}),
    ...(p.format ? { format: p.format } : {}),
    ...(p.uniqueItems ? { unique_items: true } : {}),
  };
  const slot = p.in === 'path' ? 'path_parameter_sub_schema' : 'query_parameter_sub_schema';
  return { parameter: { non_body_parameter: { [slot]: common } } };
}

function operation(op: JsonObject): Message {
  const responses = Object.entries(asObject(op.responses)).map(([code, r]) => {
    const res = asObject(r);
    return {
      name: code,
      value: {
        response: {
          description: res.description ?? '',
          ...(res.schema ? { schema: { schema: schema(asObject(res.schema)) } } : {}),
        },
      },
    };
  });
  return {
    ...(op.tags ? { tags: op.tags } : {}),
    ...(op.description ? { description: op.description } : {}),
    ...(op.operationId ? { operation_id: op.operationId } : {}),
    ...(op.produces ? { produces: op.produces } : {}),
    ...(op.consumes ? { consumes: op.consumes } : {}),
    ...(Array.isArray(op.parameters) ? { parameters: op.parameters.map((x) => parameter(asObject(x))) } : {}),
    responses: { response_code: responses },
    ...(op.schemes ? { schemes: op.schemes } : {}),
    vendor_extension: extensions(op),
  };
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function pathItem(item: JsonObject): Message {
  const m: Message = {};
  for (const method of methods) if (item[method]) m[method] = operation(asObject(item[method]));
  if (Array.isArray(item.parameters)) m.parameters = item.parameters.map((x) => parameter(asObject(x)));
  return m;
}

function securityDefinitions(defs: JsonObject): Message {
  return {
    additional_properties: Object.entries(defs).map(([name, d]) => {
      const def = asObject(d);
      return {
        name,
        value: {
          api_key_security: { type: def.type, name: def.name, in: def.in, ...(def.description ? { description: def.description } : {}) },
        },
      };
    }),
  };
}

/** Encodes a Swagger 2.0 document, as built by this package, in the gnostic protobuf form. */
export function encodeOpenAPIv2(doc: JsonObject): Buffer {
  const info = asObject(doc.info);
  const message: Message = {
    swagger: doc.swagger,
    info: { title: info.title, version: info.version },
    paths: { path: Object.entries(asObject(doc.paths)).map(([name, item]) => ({ name, value: pathItem(asObject(item)) })) },
    definitions: {
      additional_properties: Object.entries(asObject(doc.definitions)).map(([name, s]) => ({ name, value: schema(asObject(s)) })),
    },
    ...(Array.isArray(doc.security)
      ? {
          security: doc.security.map((req) => ({
            additional_properties: Object.entries(asObject(req)).map(([name, scopes]) => ({ name, value: { value: scopes } })),
          })),
        }
      : {}),
    ...(doc.securityDefinitions ? { security_definitions: securityDefinitions(asObject(doc.securityDefinitions)) } : {}),
  };
  const type = messageType();
  return Buffer.from(type.encode(message).finish());
}

/** Decodes the protobuf form back into plain message objects (snake_case fields); for tests and tools. */
export function decodeOpenAPIv2(body: Uint8Array): Message {
  const type = messageType();
  return type.toObject(type.decode(body), { defaults: false, arrays: true }) as Message;
}
