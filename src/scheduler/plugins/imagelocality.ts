// ImageLocality: prefer nodes that already hold the pod's images, scaled by how widely each image
// is spread over the cluster (weight 1).

import { MAX_NODE_SCORE, type Handle, type ScorePlugin } from '../framework.js';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** `nginx` and `nginx:latest` are the same image. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export function imageLocality(handle: Handle): ScorePlugin {
  return {
    name: 'ImageLocality',
    weight: 1,
    score(_state, pod, node) {
      const total = handle.nodeInfos().length;
      const held = new Map<string, number>();
      for (const img of node.node?.status?.images ?? []) for (const n of img.names ?? []) held.set(n, img.sizeBytes ?? 0);
      const containers = [...(pod.pod.spec.initContainers ?? []), ...pod.pod.spec.containers];
      let sum = 0;
      for (const c of containers) {
        if (!c.image) continue;
        const name = normalizedImageName(c.image);
        const size = held.get(name);
        if (size === undefined) continue;
        const spread = (handle.imageState(name)?.numNodes ?? 1) / total;
        sum += Math.trunc(size * spread);
      }
      const maxThreshold = MAX_CONTAINER_THRESHOLD * containers.length;
      const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), maxThreshold);
      return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
    },
  };
}
