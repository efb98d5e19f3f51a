// Kubernetes' protobuf wire format (`application/vnd.kubernetes.protobuf`): the four magic bytes
// `k8s\0`, then a runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}
// whose `raw` is the object as its k8s.io/api message. kubectl 1.32+ sends its `create` bodies so.

import protobuf from 'protobufjs/minimal.js';
import { errors, isApiError } from '../errors.js';
import { findKind } from '../resources.js';
import type { KubeObject } from '../types.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { messageFor, messages } from './schema/index.js';
import { ProtobufError } from './wellknown.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const NOT_PROTOBUF = 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]';

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function readEnvelope(bytes: Uint8Array): Envelope {
  const reader = protobuf.Reader.create(bytes);
  const envelope: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(), contentEncoding: '', contentType: '' };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2) {
      reader.skipType(wire);
      continue;
    }
    switch (number) {
      case 1: {
        const typeMeta = decode(messages.get('TypeMeta')!, reader.bytes());
        envelope.apiVersion = typeof typeMeta.apiVersion === 'string' ? typeMeta.apiVersion : '';
        envelope.kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
        break;
      }
      case 2:
        envelope.raw = reader.bytes();
        break;
      case 3:
        envelope.contentEncoding = reader.string();
        break;
      case 4:
        envelope.contentType = reader.string();
        break;
      default:
        reader.skipType(wire);
    }
  }
  return envelope;
}

/** Why decoding failed, in words: a short read shows as protobufjs' "index out of range". */
function reason(err: unknown): string {
  if (err instanceof RangeError) return 'unexpected EOF';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Decodes a request body sent as `application/vnd.kubernetes.protobuf` into the object's JSON
 * shape, `kind` and `apiVersion` first (a DeleteOptions body comes back as DeleteOptions JSON,
 * without metadata). Throws a 400 for malformed bodies or kinds Kubernetes does not have, a 415
 * for served kinds without a protobuf schema here.
 */
export function decodeKubernetesProtobuf(body: Buffer): KubeObject {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw errors.badRequest(NOT_PROTOBUF);
  let envelope: Envelope;
  try {
    envelope = readEnvelope(body.subarray(MAGIC.length));
  } catch (err) {
    throw errors.badRequest(`unable to decode the protobuf envelope: ${reason(err)}`);
  }
  const { apiVersion, kind } = envelope;
  if (!kind) throw errors.badRequest("Object 'Kind' is missing in the protobuf envelope");
  if (envelope.contentEncoding) throw errors.badRequest(`unsupported protobuf content encoding "${envelope.contentEncoding}"`);
  if (envelope.contentType && envelope.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw errors.badRequest(`unsupported protobuf content type "${envelope.contentType}"`);
  }
  const def = messageFor(apiVersion, kind);
  if (!def) {
    if (findKind(apiVersion, kind)) {
      throw errors.unsupportedMediaType(['application/json', 'application/yaml']);
    }
    throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  let fields: Record<string, unknown>;
  try {
    fields = decode(def, envelope.raw);
  } catch (err) {
    if (isApiError(err)) throw err;
    throw errors.badRequest(`unable to decode ${kind} from protobuf: ${reason(err)}`);
  }
  // Request messages such as DeleteOptions have no metadata; every object has it, if only empty.
  const object = { kind, apiVersion, ...fields } as KubeObject;
  if (def.byNumber.get(1)?.json === 'metadata' && !object.metadata) object.metadata = {};
  return object;
}

/** Encodes an object (with its apiVersion and kind) as Kubernetes' protobuf wire format. */
export function encodeKubernetesProtobuf(object: KubeObject): Buffer {
  const apiVersion = object.apiVersion ?? '';
  const kind = object.kind ?? '';
  const def = messageFor(apiVersion, kind);
  if (!def) throw errors.notAcceptable(`no protobuf encoding for kind "${kind}" in version "${apiVersion}"`);
  let raw: Uint8Array;
  try {
    raw = encode(def, object);
  } catch (err) {
    if (err instanceof ProtobufError) throw errors.internal(`unable to encode ${kind} as protobuf: ${err.message}`);
    throw err;
  }
  const writer = protobuf.Writer.create();
  writer.uint32(0x0a).fork().uint32(0x0a).string(apiVersion).uint32(0x12).string(kind).ldelim();
  writer.uint32(0x12).bytes(raw);
  writer.uint32(0x1a).string('');
  writer.uint32(0x22).string('');
  return Buffer.concat([MAGIC, writer.finish()]);
}
