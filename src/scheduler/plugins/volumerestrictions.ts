// VolumeRestrictions: in-tree disks that one node cannot mount twice. A GCE PD may be shared only
// read-only by every user; an EBS volume never; RBD images (same monitors, pool and image) and
// iSCSI targets (same IQN) only read-only.

import type { Pod, Volume } from '../../api/types.js';
import { unschedulable, type FilterPlugin } from '../framework.js';

export const ERR_REASON_DISK_CONFLICT = 'node(s) had no available disk';

interface Disks {
  gcePersistentDisk?: { pdName: string; readOnly?: boolean };
  awsElasticBlockStore?: { volumeID: string };
  rbd?: { monitors?: string[]; pool?: string; image: string; readOnly?: boolean };
  iscsi?: { iqn: string; readOnly?: boolean };
}

function disks(pod: Pod): (Volume & Disks)[] {
  return ((pod.spec.volumes ?? []) as (Volume & Disks)[]).filter((v) => v.gcePersistentDisk || v.awsElasticBlockStore || v.rbd || v.iscsi);
}

/** isVolumeConflict */
export function volumesConflict(a: Volume & Disks, b: Volume & Disks): boolean {
  if (a.gcePersistentDisk && b.gcePersistentDisk) {
    return a.gcePersistentDisk.pdName === b.gcePersistentDisk.pdName && !(a.gcePersistentDisk.readOnly && b.gcePersistentDisk.readOnly);
  }
  if (a.awsElasticBlockStore && b.awsElasticBlockStore) return a.awsElasticBlockStore.volumeID === b.awsElasticBlockStore.volumeID;
  if (a.iscsi && b.iscsi) return a.iscsi.iqn === b.iscsi.iqn && !(a.iscsi.readOnly && b.iscsi.readOnly);
  if (a.rbd && b.rbd) {
    const monitors = new Set(a.rbd.monitors ?? []);
    const shared = (b.rbd.monitors ?? []).some((m) => monitors.has(m));
    return shared && (a.rbd.pool ?? 'rbd') === (b.rbd.pool ?? 'rbd') && a.rbd.image === b.rbd.image && !(a.rbd.readOnly && b.rbd.readOnly);
  }
  return false;
}

export const volumeRestrictions: FilterPlugin = {
  name: 'VolumeRestrictions',
  filter(_state, pod, node) {
    const mine = disks(pod.pod);
    if (!mine.length) return undefined;
    for (const other of node.pods.values()) {
      for (const theirs of disks(other.pod)) {
        if (mine.some((v) => volumesConflict(v, theirs))) return unschedulable(ERR_REASON_DISK_CONFLICT);
      }
    }
    return undefined;
  },
};
