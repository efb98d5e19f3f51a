// The schemas of the served kinds and what is derived from them directly.
export * from './dsl.js';
export { schemaForKind, schemaForResource, listSchemaForResource, closure, allKinds, commonSchemas } from './catalog.js';
export {
  findUnknownFields,
  pruneUnknownFields,
  strictProblemText,
  strictDecodingError,
  strictPatchError,
  goValue,
  type StrictProblem,
} from './unknown-fields.js';
export { findDuplicateFields, findStrictProblems } from './strict-json.js';
