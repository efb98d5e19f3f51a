// Makes sure a container's image is on the node before it is created, as the kubelet's image
// manager does: the default `:latest` tag, imagePullPolicy, the pod's pull secrets matched to the
// image's registry, the image-pull back-off, and the events and waiting messages of Kubernetes.

import type { Container, Pod } from '../api/types.js';
import { parseImageReference } from '../images/reference.js';
import type { ImageInfo, PullAuth, Runtime } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';
import { Backoff, formatGoDuration } from './backoff.js';
import { CredentialKeyring, type PullSecret } from './image-credentials.js';
import type { EventRecorder } from './types.js';
import { podReference } from './types.js';
import { containerFieldPath } from './pod-util.js';
import { StartError } from './start-error.js';

const PULL_BACKOFF_INITIAL_MS = 10_000;
const PULL_BACKOFF_MAX_MS = 300_000;

/** Reads the pod's pull secrets (absent when the Secret does not exist). */
export interface PullSecretSource {
  getSecret(namespace: string, name: string): Promise<PullSecret | undefined>;
}

/** Image statuses asked for ahead of one sync's starts, by image as pulled; each answers one start. */
export type ImageLookups = Map<string, Promise<ImageInfo | undefined>>;

/** Told of every image a container is about to use (the image garbage collector's "last used"). */
export type ImageUseListener = (imageRef: string) => void;

export class ImageManager {
  private readonly backoff: Backoff;
  /** The last pull error per back-off key, shown while backing off. */
  private readonly lastPullError = new Map<string, string>();
  private readonly useListeners: ImageUseListener[] = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly clock: Clock,
    private readonly recorder: EventRecorder,
    private readonly secrets?: PullSecretSource,
  ) {
    this.backoff = new Backoff(clock, PULL_BACKOFF_INITIAL_MS, PULL_BACKOFF_MAX_MS, 2 * PULL_BACKOFF_MAX_MS);
  }

  onImageUsed(listener: ImageUseListener): void {
    this.useListeners.push(listener);
  }

  /** Asks the runtime for the images of these containers at once (those a pull policy lets be present). */
  lookUp(containers: Container[]): ImageLookups {
    const lookups: ImageLookups = new Map();
    for (const container of containers) {
      const requested = container.image ?? '';
      if ((container.imagePullPolicy ?? defaultPullPolicy(requested)) === 'Always') continue;
      let image: string;
      try {
        image = applyDefaultImageTag(requested);
      } catch {
        continue;
      }
      if (lookups.has(image)) continue;
      const status = this.runtime.imageStatus(image);
      status.catch(() => undefined);
      lookups.set(image, status);
    }
    return lookups;
  }

  /**
   * Resolves with the image reference, or throws a StartError (ErrImagePull, ImagePullBackOff, ...).
   * A lookup of the image is used (and used up) in place of asking the runtime.
   */
  async ensureImage(pod: Pod, container: Container, lookups?: ImageLookups): Promise<string> {
    const requested = container.image ?? '';
    const ref = podReference(pod, containerFieldPath(pod, container.name));
    let image: string;
    try {
      image = applyDefaultImageTag(requested);
    } catch (err) {
      const message = `Failed to apply default image tag "${requested}": couldn't parse image name "${requested}": ${(err as Error).message}`;
      this.recorder.event(ref, 'Warning', 'InspectFailed', message);
      throw new StartError('InvalidImageName', message);
    }
    const policy = container.imagePullPolicy ?? defaultPullPolicy(requested);

    if (policy !== 'Always') {
      const lookup = lookups?.get(image);
      lookups?.delete(image);
      const present = await (lookup ?? this.runtime.imageStatus(image));
      if (present) {
        this.recorder.event(ref, 'Normal', 'Pulled', `Container image "${requested}" already present on machine`);
        return this.used(present.id);
      }
      if (policy === 'Never') {
        const message = `Container image "${requested}" is not present with pull policy of Never`;
        this.recorder.event(ref, 'Warning', 'ErrImageNeverPull', message);
        throw new StartError('ErrImageNeverPull', message);
      }
    }

    const key = backoffKey(pod, requested);
    if (this.backoff.isInBackOffSinceUpdate(key, this.clock.now())) {
      const message = `Back-off pulling image "${requested}"`;
      this.recorder.event(ref, 'Normal', 'BackOff', message);
      const previous = this.lastPullError.get(key);
      throw new StartError('ImagePullBackOff', previous ? `${message}: ${previous}` : message);
    }
    const auths = await this.pullCredentials(pod, image);
    this.recorder.event(ref, 'Normal', 'Pulling', `Pulling image "${requested}"`);
    const started = this.clock.now();
    try {
      const imageRef = await this.pullWithEach(image, auths);
      const took = formatGoDuration(this.clock.now() - started);
      const size = (await this.runtime.imageStatus(image))?.size ?? 0;
      this.recorder.event(ref, 'Normal', 'Pulled', `Successfully pulled image "${requested}" in ${took} (${took} including waiting). Image size: ${size} bytes.`);
      this.lastPullError.delete(key);
      this.backoff.gc();
      return this.used(imageRef);
    } catch (err) {
      const detail = (err as Error).message;
      this.recorder.event(ref, 'Warning', 'Failed', `Failed to pull image "${requested}": ${detail}`);
      this.backoff.next(key, this.clock.now());
      this.lastPullError.set(key, `ErrImagePull: ${detail}`);
      throw new StartError('ErrImagePull', detail);
    }
  }

  /** When the pull back-off of a container's image ends (clock ms), while it is backing off. */
  backOffReleaseAt(pod: Pod, container: Container): number | undefined {
    return this.backoff.releaseAtSinceUpdate(backoffKey(pod, container.image ?? ''));
  }

  /** Drops expired back-off entries. */
  gc(): void {
    this.backoff.gc();
    for (const key of this.lastPullError.keys()) if (this.backoff.get(key) === 0) this.lastPullError.delete(key);
  }

  private used(imageRef: string): string {
    for (const listener of this.useListeners) listener(imageRef);
    return imageRef;
  }

  /** One attempt per matching credential (most specific first) until one works; none: anonymous. */
  private async pullWithEach(image: string, auths: PullAuth[]): Promise<string> {
    if (auths.length === 0) return this.runtime.pullImage(image);
    const errors: string[] = [];
    for (const auth of auths) {
      try {
        return await this.runtime.pullImage(image, auth);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  }

  private async pullCredentials(pod: Pod, image: string): Promise<PullAuth[]> {
    const refs = (pod.spec?.imagePullSecrets ?? []) as { name?: string }[];
    if (refs.length === 0 || !this.secrets) return [];
    const keyring = new CredentialKeyring();
    const missing: string[] = [];
    for (const { name } of refs) {
      if (!name) continue;
      const secret = await this.secrets.getSecret(pod.metadata.namespace ?? 'default', name).catch(() => undefined);
      if (secret) keyring.addSecret(secret);
      else missing.push(`${pod.metadata.namespace ?? 'default'}/${name}`);
    }
    if (missing.length > 0) {
      this.recorder.event(
        podReference(pod),
        'Warning',
        'FailedToRetrieveImagePullSecret',
        `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
      );
    }
    return keyring.lookup(image);
  }
}

function backoffKey(pod: Pod, image: string): string {
  return `${pod.metadata.uid}_${image}`;
}

/** The image as the kubelet pulls it: `:latest` added when it has neither tag nor digest. */
export function applyDefaultImageTag(image: string): string {
  const ref = parseImageReference(image);
  return ref.tag === undefined && ref.digest === undefined ? `${image}:latest` : image;
}

/** `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests count as pinned). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}
