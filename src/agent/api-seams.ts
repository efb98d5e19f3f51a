// The node agent's seams backed by the API: pod status writes, pod removal, events, and the
// ConfigMaps, Secrets and Services containers refer to.

import type { CoreEvent, KubeObject, Pod, PodStatus } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { ApiClient, resourcePath, type WatchStream } from '../client/client.js';
import { Informer } from '../client/informer.js';
import type { ConfigSource, PodStatusWriter } from '../kubelet/types.js';
import type { EventSink } from '../kubelet/events.js';
import { WatchedObjects, type FollowedObject, type ObjectFeed } from '../kubelet/watched-objects.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

/**
 * The status as a strategic merge patch over the pod's: conditions merge by type, so a field a
 * condition no longer has (a Ready condition's reason and message once it is True) is sent as null,
 * as the kubelet's two-way patch does; else it would stay, and the status never match again.
 */
export function statusPatch(current: PodStatus | undefined, status: PodStatus): PodStatus {
  const before = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  if (!status.conditions || before.size === 0) return status;
  const conditions = status.conditions.map((c) => {
    const prev = before.get(c.type) as Record<string, unknown> | undefined;
    const cleared = Object.keys(prev ?? {}).filter((k) => (c as unknown as Record<string, unknown>)[k] === undefined);
    return cleared.length ? { ...Object.fromEntries(cleared.map((k) => [k, null])), ...c } : c;
  });
  return { ...status, conditions };
}

export class ApiPodStatusWriter implements PodStatusWriter {
  constructor(private readonly client: ApiClient) {}

  async writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    try {
      // The uid makes the patch fail for a newer pod of the same name.
      const stored = await this.client.patch<Pod>(
        PODS,
        pod.metadata.namespace!,
        pod.metadata.name!,
        { metadata: { uid: pod.metadata.uid }, status: statusPatch(pod.status, status) },
        'strategic',
        'status',
      );
      // Kept by the status manager as the pod's newest object: without the fields the agent never reads, as its pod informer keeps them.
      delete stored.metadata.managedFields;
      return stored;
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || (err.code === 409 && err.message.includes('Precondition failed: UID')))) return undefined;
      throw err;
    }
  }

  async deletePod(pod: Pod): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace!, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }
}

export class ApiEventSink implements EventSink {
  constructor(private readonly client: ApiClient) {}

  async create(event: CoreEvent): Promise<unknown> {
    try {
      return await this.client.create(EVENTS, event.metadata.namespace!, event);
    } catch (err) {
      // Events about objects in a namespace being deleted are dropped, as Kubernetes does.
      if (err instanceof ApiError && (err.code === 403 || err.code === 404 || err.reason === 'AlreadyExists')) return undefined;
      throw err;
    }
  }

  async update(event: CoreEvent): Promise<unknown> {
    return this.client.patch(EVENTS, event.metadata.namespace!, event.metadata.name!, {
      count: event.count,
      lastTimestamp: event.lastTimestamp,
      message: event.message,
    });
  }
}

type ConfigMapData = KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> };
type SecretData = KubeObject & { type?: string; data?: Record<string, string> };

/** GETs and single-object watches of one resource. */
class ApiObjectFeed<T extends KubeObject> implements ObjectFeed<T> {
  constructor(
    private readonly client: ApiClient,
    private readonly info: typeof CONFIG_MAPS,
  ) {}

  async get(namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.client.get<T>(this.info, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  follow(namespace: string, name: string, onState: (obj: T | undefined) => void): FollowedObject {
    const fieldSelector = `metadata.name=${name}`;
    let stopped = false;
    let stream: WatchStream | undefined;
    const done = (async () => {
      const list = await this.client.list<T>(this.info, namespace, { fieldSelector });
      if (stopped) return;
      onState(list.items[0]);
      stream = this.client.watch<T>(
        resourcePath(this.info, namespace),
        { fieldSelector, resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
        (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') onState(e.object);
          else if (e.type === 'DELETED') onState(undefined);
          else if (e.type === 'ERROR') stream?.stop();
        },
      );
      if (stopped) stream.stop();
      await stream.done;
    })();
    return {
      done,
      stop: () => {
        stopped = true;
        stream?.stop();
      },
    };
  }
}

export class ApiConfigSource implements ConfigSource {
  private readonly services: Informer;
  private servicesSynced = false;
  private readonly configMaps: WatchedObjects<ConfigMapData>;
  private readonly secrets: WatchedObjects<SecretData>;

  constructor(private readonly client: ApiClient) {
    this.services = new Informer(client, SERVICES);
    void this.services.synced.then(() => (this.servicesSynced = true));
    this.configMaps = new WatchedObjects(new ApiObjectFeed<ConfigMapData>(client, CONFIG_MAPS));
    this.secrets = new WatchedObjects(new ApiObjectFeed<SecretData>(client, SECRETS));
  }

  start(): void {
    this.services.start();
  }

  stop(): void {
    this.services.stop();
    this.configMaps.stop();
    this.secrets.stop();
  }

  getConfigMap(namespace: string, name: string) {
    return this.configMaps.get(namespace, name);
  }

  getSecret(namespace: string, name: string) {
    return this.secrets.get(namespace, name);
  }

  async listServices(namespace: string): Promise<unknown[] | undefined> {
    if (!this.servicesSynced) return undefined;
    return this.services.list().filter((s) => s.metadata.namespace === namespace || (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'));
  }
}
