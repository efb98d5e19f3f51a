// The per-kind rules the API server applies to every write: defaulting, then create, update or
// status-update validation. One table, keyed by apiVersion and kind.

import { field, type FieldError } from './errors.js';
import { findKind } from './resources.js';
import type { KubeObject, Pod } from './types.js';
import {
  defaultEndpointSlice,
  defaultEndpoints,
  defaultNamespace,
  defaultNode,
  defaultSecret,
  defaultService,
  prepareNamespaceForCreate,
} from './defaults/core.js';
import { defaultPod, preparePodForCreate } from './defaults/pod.js';
import { prepareForStatusUpdate, prepareForUpdate, prepareWorkloadForCreate } from './defaults/strategy.js';
import { defaultCronJob, defaultDaemonSet, defaultDeployment, defaultJob, defaultReplicaSet } from './defaults/workloads.js';
import * as apps from './validation/apps.js';
import * as batch from './validation/batch.js';
import * as core from './validation/core.js';
import * as certificates from './validation/certificates.js';
import { nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate } from './validation/meta.js';
import { isObject } from './validation/field.js';
import * as other from './validation/other.js';
import { validatePod, validatePodStatusUpdate, validatePodUpdate } from './validation/pod.js';
import { cronJobWarnings, podWarnings, templateWarnings } from './validation/warnings.js';

export interface KindRules {
  /** Fills Kubernetes defaults in place (pkg/apis/<group>/v1/defaults.go semantics). Also used on update bodies. */
  defaults(obj: KubeObject): void;
  /**
   * The registry strategy's create-only step, after defaults and before validation: Pod status
   * (phase Pending, QoS class) and generation; Namespace status and `kubernetes` finalizer;
   * workloads and PDBs generation 1 and empty status. Jobs also need their uid: call
   * `prepareJobForCreate(job, uid)` from defaults/workloads after this.
   */
  prepareForCreate(obj: KubeObject): void;
  /**
   * The strategy's step for an update through the main endpoint, after defaults and before
   * validateUpdate: status kept from `old`, generation bumped on spec changes, a Service's
   * allocated IPs and node ports carried over when the body omits them.
   */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** The same for an update through /status: spec (and generation) kept from `old` (`copyOfOld` gives a private copy of it). */
  prepareForStatusUpdate(obj: KubeObject, old: KubeObject, copyOfOld?: () => KubeObject): void;
  /** Create validation (ValidateXxx): metadata + spec (+ status where Kubernetes validates it on create). */
  validate(obj: KubeObject): FieldError[];
  /** Update validation of the main resource (ValidateXxxUpdate), incl. immutable fields. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Update through the status subresource (ValidateXxxStatusUpdate). */
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Warnings for a create or update of the main resource (sent as `Warning: 299 - "<text>"` headers). */
  warnings(obj: KubeObject): string[];
}

type Validate = (obj: KubeObject) => FieldError[];
type ValidateUpdate = (obj: KubeObject, old: KubeObject) => FieldError[];

const noop = () => {};
const noWarnings = (): string[] => [];

function metadataUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(obj.metadata, old.metadata);
}

/**
 * Malformed bodies (a field of the wrong JSON type) must come back as field errors, never as a
 * crash: mutators skip what they cannot read, validators answer with an error at the top.
 */
function guardMutator<A extends unknown[]>(fn: (obj: KubeObject, ...rest: A) => void): (obj: KubeObject, ...rest: A) => void {
  return (obj, ...rest) => {
    if (!isObject(obj.metadata)) return;
    try {
      fn(obj, ...rest);
    } catch {
      // Left for validation, which reports the malformed field.
    }
  };
}

function guardValidator<A extends unknown[]>(fn: (obj: KubeObject, ...rest: A) => FieldError[]): (obj: KubeObject, ...rest: A) => FieldError[] {
  return (obj, ...rest) => {
    if (!isObject(obj.metadata)) return [field.invalid('metadata', obj.metadata ?? null, 'must be an object')];
    try {
      return fn(obj, ...rest);
    } catch (e) {
      return [field.internal('', `the object could not be validated: ${e instanceof Error ? e.message : String(e)}`)];
    }
  };
}

function kindRules(parts: {
  defaults?: (obj: KubeObject) => void;
  prepareForCreate?: (obj: KubeObject) => void;
  validate: Validate;
  validateUpdate: ValidateUpdate;
  validateStatusUpdate?: ValidateUpdate;
  warnings?: (obj: KubeObject) => string[];
}): KindRules {
  const warnings = parts.warnings ?? noWarnings;
  return {
    defaults: guardMutator(parts.defaults ?? noop),
    prepareForCreate: guardMutator(parts.prepareForCreate ?? noop),
    prepareForUpdate: guardMutator(prepareForUpdate),
    prepareForStatusUpdate: guardMutator(prepareForStatusUpdate),
    validate: guardValidator(parts.validate),
    validateUpdate: guardValidator(parts.validateUpdate),
    validateStatusUpdate: guardValidator(parts.validateStatusUpdate ?? metadataUpdate),
    warnings: (obj) => {
      try {
        return warnings(obj);
      } catch {
        return [];
      }
    },
  };
}

const asPod = (obj: KubeObject) => obj as Pod;

const table = new Map<string, KindRules>([
  [
    'v1/Pod',
    kindRules({
      defaults: (o) => defaultPod(asPod(o)),
      prepareForCreate: (o) => preparePodForCreate(asPod(o)),
      validate: (o) => validatePod(asPod(o)),
      validateUpdate: (o, old) => validatePodUpdate(asPod(o), asPod(old)),
      validateStatusUpdate: (o, old) => validatePodStatusUpdate(asPod(o), asPod(old)),
      warnings: podWarnings,
    }),
  ],
  [
    'v1/Namespace',
    kindRules({
      defaults: defaultNamespace,
      prepareForCreate: prepareNamespaceForCreate,
      validate: core.validateNamespace,
      validateUpdate: core.validateNamespaceUpdate,
      validateStatusUpdate: core.validateNamespaceStatusUpdate,
    }),
  ],
  ['v1/Node', kindRules({ defaults: defaultNode, validate: core.validateNode, validateUpdate: core.validateNodeUpdate, validateStatusUpdate: core.validateNodeUpdate })],
  ['v1/Event', kindRules({ validate: core.validateCoreEvent, validateUpdate: core.validateCoreEventUpdate })],
  [
    'v1/Service',
    kindRules({
      defaults: defaultService,
      prepareForCreate: (o) => (o.status = { loadBalancer: {} }),
      validate: core.validateService,
      validateUpdate: core.validateServiceUpdate,
      validateStatusUpdate: core.validateServiceStatusUpdate,
    }),
  ],
  ['v1/Endpoints', kindRules({ defaults: defaultEndpoints, validate: core.validateEndpoints, validateUpdate: core.validateEndpointsUpdate })],
  ['v1/ConfigMap', kindRules({ validate: core.validateConfigMap, validateUpdate: core.validateConfigMapUpdate })],
  ['v1/Secret', kindRules({ defaults: defaultSecret, validate: core.validateSecret, validateUpdate: core.validateSecretUpdate })],
  ['v1/ServiceAccount', kindRules({ validate: core.validateServiceAccount, validateUpdate: core.validateServiceAccountUpdate })],
  [
    'apps/v1/Deployment',
    kindRules({
      defaults: defaultDeployment,
      prepareForCreate: prepareWorkloadForCreate,
      validate: apps.validateDeployment,
      validateUpdate: apps.validateDeploymentUpdate,
      validateStatusUpdate: apps.validateDeploymentStatusUpdate,
      warnings: templateWarnings,
    }),
  ],
  [
    'apps/v1/ReplicaSet',
    kindRules({
      defaults: defaultReplicaSet,
      prepareForCreate: prepareWorkloadForCreate,
      validate: apps.validateReplicaSet,
      validateUpdate: apps.validateReplicaSetUpdate,
      validateStatusUpdate: apps.validateReplicaSetStatusUpdate,
      warnings: templateWarnings,
    }),
  ],
  [
    'apps/v1/DaemonSet',
    kindRules({
      defaults: defaultDaemonSet,
      prepareForCreate: prepareWorkloadForCreate,
      validate: apps.validateDaemonSet,
      validateUpdate: apps.validateDaemonSetUpdate,
      validateStatusUpdate: apps.validateDaemonSetStatusUpdate,
      warnings: templateWarnings,
    }),
  ],
  ['apps/v1/ControllerRevision', kindRules({ validate: apps.validateControllerRevision, validateUpdate: apps.validateControllerRevisionUpdate })],
  [
    'batch/v1/Job',
    kindRules({
      defaults: defaultJob,
      prepareForCreate: prepareWorkloadForCreate,
      validate: batch.validateJob,
      validateUpdate: batch.validateJobUpdate,
      validateStatusUpdate: batch.validateJobStatusUpdate,
      warnings: templateWarnings,
    }),
  ],
  [
    'batch/v1/CronJob',
    kindRules({
      defaults: defaultCronJob,
      prepareForCreate: prepareWorkloadForCreate,
      validate: batch.validateCronJob,
      validateUpdate: batch.validateCronJobUpdate,
      validateStatusUpdate: batch.validateCronJobStatusUpdate,
      warnings: cronJobWarnings,
    }),
  ],
  ['coordination.k8s.io/v1/Lease', kindRules({ validate: other.validateLease, validateUpdate: other.validateLeaseUpdate })],
  [
    'discovery.k8s.io/v1/EndpointSlice',
    kindRules({ defaults: defaultEndpointSlice, validate: other.validateEndpointSlice, validateUpdate: other.validateEndpointSliceUpdate }),
  ],
  ['events.k8s.io/v1/Event', kindRules({ validate: core.validateEventsV1Event, validateUpdate: core.validateEventsV1EventUpdate })],
  [
    'policy/v1/PodDisruptionBudget',
    kindRules({
      prepareForCreate: prepareWorkloadForCreate,
      validate: other.validatePodDisruptionBudget,
      validateUpdate: other.validatePodDisruptionBudgetUpdate,
      validateStatusUpdate: other.validatePodDisruptionBudgetStatusUpdate,
    }),
  ],
  [
    'certificates.k8s.io/v1/CertificateSigningRequest',
    kindRules({
      validate: certificates.validateCertificateSigningRequest,
      validateUpdate: certificates.validateCertificateSigningRequestUpdate,
      validateStatusUpdate: certificates.validateCertificateSigningRequestStatusUpdate,
    }),
  ],
]);

const genericRules = new Map<boolean, KindRules>();

/** Metadata-only rules (the registry's common ObjectMeta checks) for kinds without their own. */
function generic(namespaced: boolean): KindRules {
  let rules = genericRules.get(namespaced);
  if (!rules) {
    const meta = { namespaced, name: nameIsPathSegment };
    rules = kindRules({
      validate: (o) => validateObjectMeta(o.metadata, meta),
      validateUpdate: (o, old) => metadataUpdate(o, old).concat(validateObjectMeta(o.metadata, meta)),
    });
    genericRules.set(namespaced, rules);
  }
  return rules;
}

export function rulesFor(apiVersion: string, kind: string): KindRules {
  return table.get(`${apiVersion}/${kind}`) ?? generic(findKind(apiVersion, kind)?.namespaced ?? true);
}
