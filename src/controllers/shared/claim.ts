// ControllerRefManager: a controller claims the objects its selector matches. It keeps what it
// already controls while the selector matches, adopts matching orphans (after checking, once per
// claim, that it still exists and is not being deleted), and releases what no longer matches.
// Objects controlled by someone else are never touched.

import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { LabelSelector } from '../../api/selectors.js';
import { ApiError } from '../../api/errors.js';
import type { ApiClient } from '../../client/client.js';
import { adoptPatch, controllerRefOf, releasePatch } from './owner.js';

export interface ClaimOptions<T extends KubeObject> {
  client: ApiClient;
  owner: KubeObject;
  ownerRef: OwnerReference;
  /** The owner's resource, to re-read it before adopting. */
  ownerInfo: ResourceInfo;
  /** The claimed objects' resource, to patch them. */
  info: ResourceInfo;
  selector: LabelSelector;
  candidates: T[];
}

export async function claim<T extends KubeObject>(o: ClaimOptions<T>): Promise<T[]> {
  const uid = o.owner.metadata.uid!;
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  let canAdopt: Promise<boolean> | undefined;
  const errors: unknown[] = [];
  const work: Promise<void>[] = [];
  for (const obj of o.candidates) {
    const ref = controllerRefOf(obj);
    const matches = o.selector.matches(obj.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      work.push(patchIgnoringGone(o.client, o.info, obj, releasePatch(obj, uid)).catch((e) => void errors.push(e)));
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata.deletionTimestamp || obj.metadata.namespace !== o.owner.metadata.namespace) continue;
    canAdopt ??= ownerStillCurrent(o);
    work.push(
      canAdopt.then(async (ok) => {
        if (!ok) return;
        try {
          await o.client.patch(o.info, obj.metadata.namespace!, obj.metadata.name!, adoptPatch(obj, o.ownerRef));
          claimed.push(obj);
        } catch (err) {
          if (err instanceof ApiError && err.code === 404) return;
          errors.push(err);
        }
      }),
    );
  }
  await Promise.all(work);
  if (errors.length) throw errors[0];
  return claimed;
}

async function ownerStillCurrent(o: ClaimOptions<KubeObject>): Promise<boolean> {
  try {
    const fresh = await o.client.get(o.ownerInfo, o.owner.metadata.namespace!, o.owner.metadata.name!);
    return fresh.metadata.uid === o.owner.metadata.uid && !fresh.metadata.deletionTimestamp;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return false;
    throw err;
  }
}

async function patchIgnoringGone(client: ApiClient, info: ResourceInfo, obj: KubeObject, patch: unknown): Promise<void> {
  try {
    await client.patch(info, obj.metadata.namespace!, obj.metadata.name!, patch);
  } catch (err) {
    if (err instanceof ApiError && (err.code === 404 || err.code === 409 || err.code === 422)) return;
    throw err;
  }
}
