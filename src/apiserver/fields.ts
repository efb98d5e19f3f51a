// The fields each resource can be selected by (`fieldSelector=`), as Kubernetes' registries define
// them (GetAttrs / field label conversion funcs). Any other field is a 400.

import type { KubeObject } from '../api/types.js';
import { errors } from '../api/errors.js';
import type { FieldSelector } from '../api/selectors.js';

type Extractor = (o: any) => Record<string, string>;

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const byResource: Record<string, Extractor> = {
  'core/pods': (p) => ({
    'spec.nodeName': str(p.spec?.nodeName),
    'spec.restartPolicy': str(p.spec?.restartPolicy),
    'spec.schedulerName': str(p.spec?.schedulerName),
    'spec.serviceAccountName': str(p.spec?.serviceAccountName),
    'spec.hostNetwork': String(Boolean(p.spec?.hostNetwork)),
    'status.phase': str(p.status?.phase),
    'status.podIP': str(p.status?.podIP),
    'status.nominatedNodeName': str(p.status?.nominatedNodeName),
  }),
  'core/events': (e) => ({
    'involvedObject.kind': str(e.involvedObject?.kind),
    'involvedObject.namespace': str(e.involvedObject?.namespace),
    'involvedObject.name': str(e.involvedObject?.name),
    'involvedObject.uid': str(e.involvedObject?.uid),
    'involvedObject.apiVersion': str(e.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': str(e.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': str(e.involvedObject?.fieldPath),
    reason: str(e.reason),
    reportingComponent: str(e.reportingComponent),
    source: str(e.source?.component),
    type: str(e.type),
  }),
  'core/nodes': (n) => ({ 'spec.unschedulable': String(Boolean(n.spec?.unschedulable)) }),
  'core/namespaces': (n) => ({ 'status.phase': str(n.status?.phase) }),
  'core/secrets': (s) => ({ type: str(s.type) }),
  'batch/jobs': (j) => ({ 'status.successful': str(j.status?.successful ?? 0) }),
  'apps/replicasets': (r) => ({ 'status.replicas': str(r.status?.replicas ?? 0) }),
  'core/replicationcontrollers': (r) => ({ 'status.replicas': str(r.status?.replicas ?? 0) }),
};

// events.k8s.io events are the same objects seen through another version.
byResource['events.k8s.io/events'] = byResource['core/events']!;

function key(group: string, resource: string): string {
  return `${group || 'core'}/${resource}`;
}

/** The field set of an object for selector matching. */
export function objectFields(group: string, resource: string, obj: KubeObject, namespaced: boolean): Record<string, string> {
  return withMetadataFields(obj.metadata.name ?? '', namespaced ? (obj.metadata.namespace ?? '') : undefined, kindFields(group, resource, obj));
}

/** The selectable fields of a resource beyond metadata.name and metadata.namespace; undefined when it has none. */
export function kindFields(group: string, resource: string, obj: KubeObject): Record<string, string> | undefined {
  return byResource[key(group, resource)]?.(obj);
}

/** The whole field set from its parts (`namespace` undefined for cluster-scoped objects). */
export function withMetadataFields(name: string, namespace: string | undefined, extra: Record<string, string> | undefined): Record<string, string> {
  const base: Record<string, string> = { 'metadata.name': name };
  if (namespace !== undefined) base['metadata.namespace'] = namespace;
  return extra ? Object.assign(base, extra) : base;
}

/** Rejects selectors on fields the resource does not support, with Kubernetes' message. */
export function checkFieldSelector(group: string, resource: string, selector: FieldSelector, namespaced: boolean): void {
  if (selector.empty) return;
  const supported = objectFields(group, resource, { metadata: {} } as KubeObject, namespaced);
  for (const r of selector.requirements) {
    if (!(r.field in supported)) throw errors.badRequest(`field label not supported: ${r.field}`);
  }
}
