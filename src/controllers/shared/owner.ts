// Controller owner references: who controls an object, the reference a controller stamps on what
// it creates or adopts, and the patches that adopt and release.

import type { KubeObject, OwnerReference } from '../../api/types.js';

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerRefOf(obj)?.uid === owner.metadata.uid;
}

/** A merge patch adding the controller reference; uid and resourceVersion make it fail on a changed object. */
export function adoptPatch(obj: KubeObject, ref: OwnerReference): unknown {
  return {
    metadata: {
      ownerReferences: [...(obj.metadata.ownerReferences ?? []), ref],
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    },
  };
}

/** A merge patch removing the owner's reference. */
export function releasePatch(obj: KubeObject, ownerUid: string): unknown {
  const rest = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  return { metadata: { ownerReferences: rest.length ? rest : null, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion } };
}
