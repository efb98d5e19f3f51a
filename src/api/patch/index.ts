// Every way the API server changes an object from a client's partial description of it: JSON patch,
// merge patch, strategic merge patch, server-side apply, and the managedFields bookkeeping that
// every write does.

export { patchTypeFor, patchMediaTypes, decodePatch, type PatchType } from './body.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic.js';
export { serverSideApply, type ApplyArgs } from './apply.js';
export { updateManagedFields, type UpdateArgs } from './managed-fields.js';
export { schemaFor, type TypeNode } from './schema.js';
