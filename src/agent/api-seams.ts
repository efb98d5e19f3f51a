// The node agent's seams backed by the API: pod status writes, pod removal, events, and the
// ConfigMaps, Secrets and Services containers refer to.

import type { CoreEvent, KubeObject, Pod, PodStatus } from '../api/types.js';
import { ApiError } from '../api/errors.js';
import { ApiClient } from '../client/client.js';
import { Informer } from '../client/informer.js';
import type { ConfigSource, PodStatusWriter } from '../kubelet/types.js';
import type { EventSink } from '../kubelet/events.js';

const PODS = ApiClient.resourceOf('v1', 'Pod');
const EVENTS = ApiClient.resourceOf('v1', 'Event');
const CONFIG_MAPS = ApiClient.resourceOf('v1', 'ConfigMap');
const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const SERVICES = ApiClient.resourceOf('v1', 'Service');

export class ApiPodStatusWriter implements PodStatusWriter {
  constructor(private readonly client: ApiClient) {}

  async writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    try {
      // The uid makes the patch fail for a newer pod of the same name.
      return await this.client.patch<Pod>(
        PODS,
        pod.metadata.namespace!,
        pod.metadata.name!,
        { metadata: { uid: pod.metadata.uid }, status },
        'strategic',
        'status',
      );
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

export class ApiConfigSource implements ConfigSource {
  private readonly services: Informer;
  private servicesSynced = false;

  constructor(private readonly client: ApiClient) {
    this.services = new Informer(client, SERVICES);
    void this.services.synced.then(() => (this.servicesSynced = true));
  }

  start(): void {
    this.services.start();
  }

  stop(): void {
    this.services.stop();
  }

  private async getOptional<T extends KubeObject>(info: typeof CONFIG_MAPS, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.client.get<T>(info, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  getConfigMap(namespace: string, name: string) {
    return this.getOptional<KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> }>(CONFIG_MAPS, namespace, name);
  }

  getSecret(namespace: string, name: string) {
    return this.getOptional<KubeObject & { data?: Record<string, string> }>(SECRETS, namespace, name);
  }

  async listServices(namespace: string): Promise<unknown[] | undefined> {
    if (!this.servicesSynced) return undefined;
    return this.services.list().filter((s) => s.metadata.namespace === namespace || (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes'));
  }
}
