// NodeRestriction admission: what a node's credential may write, decided on the objects
// themselves — only its own Node (and not its taints or restricted labels), its own Lease, the
// status of pods bound to it, deletion of pods bound to it, mirror pods of its own, and its own
// endpoint slice of the kube-dns Service (its DNS server).

import { ApiError, errors } from '../../api/errors.js';
import type { KubeObject, Pod } from '../../api/types.js';
import type { AdmissionAttributes, WriteAdmission } from './admission.js';
import { nodeIdentity } from './identity.js';
import { podReferences } from './pod-references.js';
import { DNS_SERVICE, nodeDnsSliceName } from '../../network/dns/names.js';

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function labelNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

const within = (namespace: string, domain: string) => namespace === domain || namespace.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => within(labelNamespace(key), d));
}

/** Labels a node may not set, change or remove on itself, sorted. */
export function forbiddenNodeLabels(next: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  const modified = new Set<string>();
  for (const [k, v] of Object.entries(next)) if (old[k] !== v) modified.add(k);
  for (const [k, v] of Object.entries(old)) if (next[k] !== v) modified.add(k);
  return [...modified]
    .filter((k) => {
      const ns = labelNamespace(k);
      if (within(ns, 'node-restriction.kubernetes.io')) return true;
      return (within(ns, 'kubernetes.io') || within(ns, 'k8s.io')) && !isKubeletLabel(k);
    })
    .sort();
}

function refuse(a: AdmissionAttributes, message: string): ApiError {
  const name = a.name || a.object?.metadata?.name || '';
  return errors.forbidden({ group: a.resource.group, resource: a.resource.resource }, name, message);
}

const labelsEqual = (x: Record<string, string> = {}, y: Record<string, string> = {}) =>
  Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);

export class NodeRestriction implements WriteAdmission {
  constructor(
    private readonly lookup: {
      nodeUid(name: string): string | undefined;
      pod(namespace: string, name: string): Pod | undefined;
    },
  ) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    const node = nodeIdentity(a.user);
    if (node === undefined) return;
    if (node === '') throw refuse(a, `could not determine node from user ${JSON.stringify(a.user.name)}`);
    switch (`${a.resource.group}/${a.resource.resource}`) {
      case '/pods':
        if (a.subresource === '') return this.pod(node, a);
        if (a.subresource === 'status') return this.podStatus(node, a);
        throw refuse(a, `unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
      case '/nodes':
        return this.node(node, a);
      case '/persistentvolumeclaims':
        if (a.subresource !== 'status') throw refuse(a, 'may only update PVC status');
        return;
      case 'coordination.k8s.io/leases':
        return this.lease(node, a);
      case '/serviceaccounts':
        if (a.operation === 'CREATE' && a.subresource === 'token') return this.tokenRequest(node, a);
        return;
      case 'discovery.k8s.io/endpointslices':
        return this.dnsSlice(node, a);
    }
  }

  private async pod(node: string, a: AdmissionAttributes): Promise<void> {
    if (a.operation === 'DELETE') {
      if ((a.oldObject as Pod).spec?.nodeName !== node) throw refuse(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
      return;
    }
    if (a.operation !== 'CREATE') throw refuse(a, `unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`);
    const pod = a.object as Pod;
    if (pod.metadata.annotations?.[MIRROR_ANNOTATION] === undefined) {
      throw refuse(a, `pod does not have "${MIRROR_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    }
    if (pod.spec?.nodeName !== node) throw refuse(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata.ownerReferences ?? [];
    if (owners.length > 1) throw refuse(a, `node "${node}" can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) {
      throw refuse(a, `node "${node}" can only create pods with an owner reference set to itself`);
    }
    if (owner.controller !== true) throw refuse(a, `node "${node}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) throw refuse(a, `node "${node}" must not set blockOwnerDeletion on an owner reference`);
    const uid = this.lookup.nodeUid(node);
    if (uid === undefined) throw errors.notFound({ group: '', resource: 'nodes' }, node);
    if (owner.uid !== uid) throw refuse(a, `node ${node} UID mismatch: expected ${owner.uid} got ${uid}`);
    // A mirror pod must not reference other objects: the node graph would grant the node access to them.
    const refs = podReferences(pod);
    if (refs.serviceAccount) throw refuse(a, `node "${node}" can not create pods that reference a service account`);
    if (refs.secrets.size) throw refuse(a, `node "${node}" can not create pods that reference secrets`);
    if (refs.configMaps.size) throw refuse(a, `node "${node}" can not create pods that reference configmaps`);
    const volumes = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
    if (volumes.some((v) => (v.projected?.sources ?? []).some((s) => (s as { clusterTrustBundle?: unknown }).clusterTrustBundle))) {
      throw refuse(a, `node "${node}" can not create pods that reference clustertrustbundles`);
    }
    if (volumes.some((v) => v.persistentVolumeClaim)) throw refuse(a, `node "${node}" can not create pods that reference persistentvolumeclaims`);
  }

  private podStatus(node: string, a: AdmissionAttributes): void {
    if (a.operation !== 'UPDATE') throw refuse(a, `unexpected operation "${a.operation}"`);
    const old = a.oldObject as Pod;
    if (old.spec?.nodeName !== node) throw refuse(a, `node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    if (!labelsEqual(old.metadata.labels, a.object!.metadata.labels)) throw refuse(a, `node "${node}" cannot update labels through pod status`);
  }

  private node(node: string, a: AdmissionAttributes): void {
    const target = a.name || a.object?.metadata?.name || '';
    if (target !== node) throw refuse(a, `node "${node}" is not allowed to modify node "${target}"`);
    if (a.operation === 'CREATE') {
      const spec = (a.object!.spec ?? {}) as { configSource?: unknown };
      if (spec.configSource) throw refuse(a, `node "${node}" is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenNodeLabels(a.object!.metadata.labels);
      if (bad.length) throw refuse(a, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
    } else if (a.operation === 'UPDATE') {
      const spec = (a.object!.spec ?? {}) as { configSource?: unknown; taints?: unknown };
      const oldSpec = (a.oldObject!.spec ?? {}) as { configSource?: unknown; taints?: unknown };
      if (spec.configSource && JSON.stringify(spec.configSource) !== JSON.stringify(oldSpec.configSource)) {
        throw refuse(a, `node "${node}" is not allowed to update configSource to a new non-nil configSource`);
      }
      if (JSON.stringify(spec.taints ?? []) !== JSON.stringify(oldSpec.taints ?? [])) throw refuse(a, `node "${node}" is not allowed to modify taints`);
      const bad = forbiddenNodeLabels(a.object!.metadata.labels, a.oldObject!.metadata.labels);
      if (bad.length) throw refuse(a, `is not allowed to modify labels: ${bad.join(', ')}`);
    }
  }

  /** A node's TokenRequest must be bound to a pod of its own. */
  private tokenRequest(node: string, a: AdmissionAttributes): void {
    const ref = (a.object?.spec as { boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string } } | undefined)?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw refuse(a, 'node requested token not bound to a pod');
    if (!ref.uid) throw refuse(a, 'node requested token with a pod binding without a uid');
    const pod = this.lookup.pod(a.namespace, ref.name);
    if (!pod) throw errors.notFound({ group: '', resource: 'pods' }, ref.name);
    if (pod.metadata.uid !== ref.uid) {
      throw refuse(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (pod.spec?.nodeName !== node) throw refuse(a, 'node requested token bound to a pod scheduled on a different node');
  }

  /** A node's own kube-dns slice, with endpoints on that node only. */
  private dnsSlice(node: string, a: AdmissionAttributes): void {
    const own = nodeDnsSliceName(node);
    const name = a.operation === 'CREATE' ? a.object?.metadata.name : a.name;
    if (name !== own) throw refuse(a, `node "${node}" can only write the endpointslice "${own}"`);
    if (a.operation === 'DELETE') return;
    const slice = a.object as KubeObject & { endpoints?: { nodeName?: string | null }[] | null };
    if (slice.metadata.labels?.['kubernetes.io/service-name'] !== DNS_SERVICE) throw refuse(a, `node "${node}" can only write endpointslices of the "${DNS_SERVICE}" service`);
    if ((slice.endpoints ?? []).some((ep) => ep.nodeName !== node)) throw refuse(a, `node "${node}" can only publish endpoints with nodeName set to itself`);
    const owners = slice.metadata.ownerReferences ?? [];
    if (owners.some((o) => o.apiVersion !== 'v1' || o.kind !== 'Node' || o.name !== node || o.blockOwnerDeletion === true)) {
      throw refuse(a, `node "${node}" can only set an owner reference to itself, without blockOwnerDeletion`);
    }
  }

  private lease(node: string, a: AdmissionAttributes): void {
    if (a.namespace !== NODE_LEASE_NAMESPACE) throw refuse(a, `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    const name = a.operation === 'CREATE' ? (a.object as KubeObject).metadata.name : a.name;
    if (name !== node) throw refuse(a, 'can only access node lease with the same name as the requesting node');
  }
}
