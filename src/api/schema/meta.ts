// apimachinery: object and list metadata, selectors, Status, DeleteOptions and the named primitives.
import { groupVersions } from '../resources.js';
import {
  apiPackage,
  atomicStruct,
  boolean,
  enumOf,
  int32,
  int64,
  keyed,
  list,
  map,
  primitive,
  ref,
  req,
  string,
  struct,
  type Field,
  type GroupVersionKind,
  type TypeDef,
} from './dsl.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const apiVersionText =
  'Versioned schema of this representation; the server converts recognized values to its current version.';
const kindText = 'The REST resource this object represents, in CamelCase. Cannot be updated.';

export const Time = primitive(
  `${META}.Time`,
  'A point in time, written as an RFC 3339 string in UTC with second precision.',
  { type: 'string', format: 'date-time' },
);

export const MicroTime = primitive(
  `${META}.MicroTime`,
  'A point in time with microsecond precision, written as an RFC 3339 string.',
  { type: 'string', format: 'date-time' },
);

export const Quantity = primitive(
  'io.k8s.apimachinery.pkg.api.resource.Quantity',
  'A fixed-point amount such as 100m, 1.5, 128Mi or 2G: a number with an optional decimal (m, k, M, G, T, P, E) or binary (Ki, Mi, Gi, Ti, Pi, Ei) suffix or an exponent. Written as a string; plain JSON numbers are accepted too.',
  { type: 'string', oneOf: ['string', 'number'] },
);

export const IntOrString = primitive(
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  'A value that is either a whole number or a string, such as a port number or a named port, or a count or a percentage.',
  { type: 'string', format: 'int-or-string', oneOf: ['integer', 'string'] },
);

export const RawExtension = primitive(
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'An embedded object of any kind, kept as it was given.',
  { type: 'object' },
);

export const FieldsV1 = primitive(
  `${META}.FieldsV1`,
  'The set of fields a manager owns, as a trie of field names (f:), keys (k:), values (v:) and indices (i:).',
  { type: 'object' },
);

export const Patch = struct(`${META}.Patch`, 'A patch body; its format follows the request content type.', {});

export const OwnerReference = struct(
  `${META}.OwnerReference`,
  'Names an object that owns this one. The owner must be in the same namespace, or be cluster-scoped.',
  {
    apiVersion: req(string('API version of the owner.')),
    blockOwnerDeletion: boolean(
      'When true and the owner is deleted in the foreground, the owner stays until this object is gone.',
    ),
    controller: boolean('Whether this owner is the managing controller. At most one owner can be the controller.'),
    kind: req(string('Kind of the owner.')),
    name: req(string('Name of the owner.')),
    uid: req(string('UID of the owner.')),
  },
);

export const ManagedFieldsEntry = struct(
  `${META}.ManagedFieldsEntry`,
  'Records which fields one manager set, through which operation and API version.',
  {
    apiVersion: string('API version of the fields, needed to read fieldsV1.'),
    fieldsType: string('Format of the fields entry; always FieldsV1.'),
    fieldsV1: ref(FieldsV1, 'The fields owned by this manager.'),
    manager: string('Name of the workflow that manages these fields.'),
    operation: string('Operation that wrote the fields: Apply or Update.'),
    subresource: string('Subresource used to update the object, empty for the main resource.'),
    time: ref(Time, 'When the entry last changed.'),
  },
);

export const ObjectMeta = struct(
  `${META}.ObjectMeta`,
  'Metadata every persisted object carries: identity, labels, annotations, ownership and bookkeeping.',
  {
    annotations: map('string', 'Unstructured key/value data kept with the object and not used to select it.'),
    creationTimestamp: ref(Time, 'When the object was created. Set by the server; read-only.'),
    deletionGracePeriodSeconds: int64('Seconds left for graceful termination once deletion was requested. Read-only.'),
    deletionTimestamp: ref(
      Time,
      'When the object will be deleted. Set by the server when deletion is requested; read-only.',
    ),
    finalizers: list(
      'string',
      'Conditions that must be cleared before the object is removed from storage.',
      { type: 'set', strategy: 'merge' },
    ),
    generateName: string('Prefix from which the server builds a unique name when name is empty.'),
    generation: int64('Sequence number of the desired state, bumped by the server on spec changes. Read-only.'),
    labels: map('string', 'Key/value pairs that organize and select objects.'),
    managedFields: list(ManagedFieldsEntry, 'Which manager owns which fields. Maintained by the server.'),
    name: string('Name, unique in its namespace for the kind. Cannot be updated.'),
    namespace: string('Namespace of the object. Empty for cluster-scoped kinds. Cannot be updated.'),
    ownerReferences: list(
      OwnerReference,
      'Objects this one depends on; it is garbage-collected once all of them are gone.',
      keyed('uid'),
    ),
    resourceVersion: string('Opaque version of the object, used for optimistic concurrency and watches. Read-only.'),
    selfLink: string('Deprecated and unset.'),
    uid: string('Unique identifier over the life of the cluster, set by the server. Read-only.'),
  },
);

export const ListMeta = struct(`${META}.ListMeta`, 'Metadata of a list: its version and paging state.', {
  continue: string('Token to fetch the next page, when the list was limited.'),
  remainingItemCount: int64('Number of items after this page, when known.'),
  resourceVersion: string('Version of the list, to start a watch from.'),
  selfLink: string('Deprecated and unset.'),
});

export const LabelSelectorRequirement = struct(
  `${META}.LabelSelectorRequirement`,
  'A selector term: a key, an operator and values.',
  {
    key: req(string('Label key the term applies to.')),
    operator: req(string('How the key relates to the values: In, NotIn, Exists or DoesNotExist.')),
    values: list('string', 'Values for In and NotIn; must be empty for Exists and DoesNotExist.'),
  },
);

export const LabelSelector = atomicStruct(struct(
  `${META}.LabelSelector`,
  'A label query. All terms must match; an empty selector matches everything, a null one nothing.',
  {
    matchExpressions: list(LabelSelectorRequirement, 'Terms over label keys and values.'),
    matchLabels: map('string', 'Exact key/value pairs, each equal to an In term with one value.'),
  },
));

export const Condition = struct(`${META}.Condition`, 'One aspect of the current state of an object.', {
  lastTransitionTime: req(ref(Time, 'When the status last changed.')),
  message: req(string('Human-readable details of the transition.')),
  observedGeneration: int64('The metadata.generation the condition was computed from.'),
  reason: req(string('Machine-readable, CamelCase reason for the last transition.')),
  status: req(string('Status of the condition: True, False or Unknown.')),
  type: req(string('Type of the condition, in CamelCase.')),
});

export const StatusCause = struct(`${META}.StatusCause`, 'One cause of a failed request.', {
  field: string('Path of the field that caused the error, such as spec.containers[0].name.'),
  message: string('Human-readable description of the cause.'),
  reason: string('Machine-readable description of the cause.'),
});

export const StatusDetails = struct(`${META}.StatusDetails`, 'Extra data about a failed request.', {
  causes: list(StatusCause, 'Individual causes of the failure.'),
  group: string('Group of the resource concerned.'),
  kind: string('Kind or resource of the object concerned.'),
  name: string('Name of the object concerned.'),
  retryAfterSeconds: int32('Seconds to wait before retrying.'),
  uid: string('UID of the object concerned.'),
});

const coreGVK = (kind: string): GroupVersionKind => ({ group: '', version: 'v1', kind });

export const Status = struct(
  `${META}.Status`,
  'The result of an operation that does not return an object, and the body of every error.',
  {
    apiVersion: string(apiVersionText),
    code: int32('HTTP status code of the reply.'),
    details: ref(StatusDetails, 'Extra data; its shape depends on the reason.'),
    kind: string(kindText),
    message: string('Human-readable description of the result.'),
    metadata: ref(ListMeta, 'Standard list metadata.'),
    reason: string('Machine-readable CamelCase reason for a failure.'),
    status: string('Success or Failure.'),
  },
  coreGVK('Status'),
);

export const Preconditions = struct(`${META}.Preconditions`, 'Conditions the object must meet to be deleted.', {
  resourceVersion: string('The object must have this resourceVersion.'),
  uid: string('The object must have this UID.'),
});

/** DeleteOptions and WatchEvent are bodies of every served group version, and of the subresource ones. */
function inEveryGroupVersion(kind: string): GroupVersionKind[] {
  const gvs = [...groupVersions(), { group: 'autoscaling', version: 'v1' }, { group: 'authentication.k8s.io', version: 'v1' }];
  return gvs.map((gv) => ({ group: gv.group, version: gv.version, kind }));
}

export const DeleteOptions = struct(
  `${META}.DeleteOptions`,
  'Options of a delete request.',
  {
    apiVersion: string(apiVersionText),
    dryRun: list('string', 'When set to All, run every stage without persisting anything.'),
    gracePeriodSeconds: int64(
      'Seconds before the object is removed; zero deletes at once, unset uses the default of the kind.',
    ),
    ignoreStoreReadErrorWithClusterBreakingPotential: boolean(
      'Delete even when the stored object cannot be read. Dangerous; needs extra permission.',
    ),
    kind: string(kindText),
    orphanDependents: boolean('Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
    preconditions: ref(Preconditions, 'Conditions that must hold for the delete to proceed.'),
    propagationPolicy: enumOf(
      ['Background', 'Foreground', 'Orphan'],
      'How dependents are garbage-collected: Orphan, Background or Foreground.',
    ),
  },
  inEveryGroupVersion('DeleteOptions'),
);

export const WatchEvent = struct(
  `${META}.WatchEvent`,
  'One event of a watch stream.',
  {
    object: req(ref(RawExtension, 'The object: its new state, its last state when deleted, or a Status on ERROR.')),
    type: req(string('ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.')),
  },
  inEveryGroupVersion('WatchEvent'),
);

// ---- top-level kinds -----------------------------------------------------------------------------


export function apiVersionField(): Field {
  return string(apiVersionText);
}
export function kindField(): Field {
  return string(kindText);
}

/** A persisted kind: apiVersion, kind and metadata, then its own fields. */
export function topLevel(
  group: string,
  version: string,
  kind: string,
  description: string,
  fields: Record<string, Field>,
  opts: { metadataRequired?: boolean } = {},
): TypeDef {
  const metadata = ref(ObjectMeta, 'Standard object metadata.');
  return struct(
    `${apiPackage(group, version)}.${kind}`,
    description,
    {
      apiVersion: apiVersionField(),
      kind: kindField(),
      metadata: opts.metadataRequired ? req(metadata) : metadata,
      ...fields,
    },
    { group, version, kind },
  );
}

/** The `<Kind>List` of a top-level kind. */
export function listOf(item: TypeDef, plural: string): TypeDef {
  const gvk = item.gvk![0]!;
  return struct(
    `${item.name}List`,
    `A list of ${plural}.`,
    {
      apiVersion: apiVersionField(),
      items: req(list(item, `The ${plural}.`)),
      kind: kindField(),
      metadata: ref(ListMeta, 'Standard list metadata.'),
    },
    { ...gvk, kind: `${gvk.kind}List` },
  );
}
