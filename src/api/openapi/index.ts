// The OpenAPI documents built from the schemas: v3 per group version, v2 as JSON and protobuf.
export { openapiV3Root, openapiV3Document, type ServedDocument } from './v3.js';
export { openapiV2Json, openapiV2Protobuf, openapiV2ProtobufHash, OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPTS } from './v2.js';
export { decodeOpenAPIv2 } from './gnostic.js';
