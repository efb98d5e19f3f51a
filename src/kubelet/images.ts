// Makes sure a container's image is on the node before it is created, following imagePullPolicy,
// with the image-pull back-off and the events of Kubernetes' image manager.

import type { Container, Pod } from '../api/types.js';
import type { Runtime } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { Backoff, formatGoDuration } from './backoff.js';
import type { EventRecorder } from './types.js';
import { podReference } from './types.js';
import { containerFieldPath } from './pod-util.js';
import { StartError } from './start-error.js';

const PULL_BACKOFF_INITIAL_MS = 10_000;
const PULL_BACKOFF_MAX_MS = 300_000;

export class ImageManager {
  private readonly backoff: Backoff;

  constructor(
    private readonly runtime: Runtime,
    private readonly clock: Clock,
    private readonly recorder: EventRecorder,
  ) {
    this.backoff = new Backoff(clock, PULL_BACKOFF_INITIAL_MS, PULL_BACKOFF_MAX_MS, 2 * PULL_BACKOFF_MAX_MS);
  }

  /** Resolves with the image reference, or throws a StartError (ErrImagePull, ImagePullBackOff, ...). */
  async ensureImage(pod: Pod, container: Container): Promise<string> {
    const image = container.image ?? '';
    const ref = podReference(pod, containerFieldPath(pod, container.name));
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image);
    const present = await this.runtime.imageStatus(image);

    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        this.recorder.event(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return present.id;
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.recorder.event(ref, 'Warning', 'ErrImageNeverPull', message);
      throw new StartError('ErrImageNeverPull', message);
    }

    const key = `${pod.metadata.uid}_${image}`;
    if (this.backoff.isInBackOffSince(key, this.clock.now())) {
      const message = `Back-off pulling image "${image}"`;
      this.recorder.event(ref, 'Normal', 'BackOff', message);
      throw new StartError('ImagePullBackOff', message);
    }
    this.recorder.event(ref, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.clock.now();
    try {
      const imageRef = await this.runtime.pullImage(image);
      const took = formatGoDuration(this.clock.now() - started);
      const size = (await this.runtime.imageStatus(image))?.size ?? 0;
      this.recorder.event(ref, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
      return imageRef;
    } catch (err) {
      this.backoff.next(key, this.clock.now());
      const detail = (err as Error).message;
      this.recorder.event(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${detail}`);
      throw new StartError('ErrImagePull', detail);
    }
  }

  /** Drops expired back-off entries. */
  gc(): void {
    this.backoff.gc();
  }
}

/** `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests count as pinned). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}
