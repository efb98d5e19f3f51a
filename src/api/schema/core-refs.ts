// core/v1 references to other objects.
import { atomicStruct, req, string, struct } from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

export const ObjectReference = atomicStruct(struct(`${CORE}.ObjectReference`, 'A reference to an object, or to a field in it.', {
  apiVersion: string('API version of the referent.'),
  fieldPath: string('Path of a field inside the referent, such as spec.containers{name}.'),
  kind: string('Kind of the referent.'),
  name: string('Name of the referent.'),
  namespace: string('Namespace of the referent.'),
  resourceVersion: string('Specific resourceVersion the reference points to, if any.'),
  uid: string('UID of the referent.'),
}));

export const LocalObjectReference = atomicStruct(struct(
  `${CORE}.LocalObjectReference`,
  'A reference by name to an object in the same namespace.',
  { name: string('Name of the referent.') },
));

export const TypedLocalObjectReference = atomicStruct(struct(
  `${CORE}.TypedLocalObjectReference`,
  'A reference to a typed object in the same namespace.',
  {
    apiGroup: string('API group of the referent; empty for the core group.'),
    kind: req(string('Kind of the referent.')),
    name: req(string('Name of the referent.')),
  },
));

export const TypedObjectReference = struct(
  `${CORE}.TypedObjectReference`,
  'A reference to a typed object, possibly in another namespace.',
  {
    apiGroup: string('API group of the referent; empty for the core group.'),
    kind: req(string('Kind of the referent.')),
    name: req(string('Name of the referent.')),
    namespace: string('Namespace of the referent, when it differs from the referrer.'),
  },
);
