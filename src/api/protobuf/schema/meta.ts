// apimachinery messages: meta/v1, intstr and resource.Quantity (runtime.Unknown, the envelope, is
// read by hand in envelope.ts). Field numbers are those of Kubernetes' generated.proto files.
//
// Notation, one field a line: `<number> <jsonName> <type> [flag]`. Types: string, int32, int64,
// bool, bytes, double, a message name, `[]T` (repeated) or `map<string,T>`. Flags:
//   keep    a pointer field, or one Kubernetes' JSON writes even when zero (no omitempty):
//           zero values on the wire are kept, not dropped.
//   inline  an embedded struct whose fields appear in the parent's JSON.

export const metaSchema = `
TypeMeta
  1 apiVersion string
  2 kind string

Time
  1 seconds int64
  2 nanos int32

MicroTime
  1 seconds int64
  2 nanos int32

Quantity
  1 string string

IntOrString
  1 type int64
  2 intVal int32
  3 strVal string

FieldsV1
  1 Raw bytes

ObjectMeta
  1 name string
  2 generateName string
  3 namespace string
  4 selfLink string
  5 uid string
  6 resourceVersion string
  7 generation int64
  8 creationTimestamp Time
  9 deletionTimestamp Time
  10 deletionGracePeriodSeconds int64 keep
  11 labels map<string,string>
  12 annotations map<string,string>
  13 ownerReferences []OwnerReference
  14 finalizers []string
  17 managedFields []ManagedFieldsEntry

OwnerReference
  5 apiVersion string keep
  1 kind string keep
  3 name string keep
  4 uid string keep
  6 controller bool keep
  7 blockOwnerDeletion bool keep

ManagedFieldsEntry
  1 manager string
  2 operation string
  3 apiVersion string
  4 time Time
  6 fieldsType string
  7 fieldsV1 FieldsV1
  8 subresource string

LabelSelector
  1 matchLabels map<string,string>
  2 matchExpressions []LabelSelectorRequirement

LabelSelectorRequirement
  1 key string keep
  2 operator string keep
  3 values []string

Condition
  1 type string keep
  2 status string keep
  3 observedGeneration int64
  4 lastTransitionTime Time
  5 reason string keep
  6 message string keep
`;
