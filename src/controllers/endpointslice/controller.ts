// The EndpointSlice controller (endpointslice-controller.k8s.io): every Service with a selector
// gets EndpointSlices, owned by the Service, labelled with its name and this controller, holding
// its pods as endpoints. A Service with no endpoints gets one empty placeholder slice. Slices are
// reused in place for the same port set; surplus slices are deleted.

import type { KubeObject } from '../../api/types.js';
import { ApiClient } from '../../client/client.js';
import type { Logger } from '../../util/log.js';
import { HEADLESS_LABEL, SERVICE_NAME_LABEL, TRIGGER_TIME_ANNOTATION, isHeadless, podSelectorOf, serviceFamily, serviceKey, type Service } from '../services.js';
import { ServiceWatch } from '../endpoints/service-watch.js';
import { ignoreNotFound, same } from '../endpoints/api-util.js';
import { WrittenObjects } from '../endpoints/written.js';
import { MAX_ENDPOINTS_PER_SLICE, desiredGroups, portsKey, type SliceEndpoint, type SliceGroup, type SlicePort } from './desired.js';

const ENDPOINT_SLICES = ApiClient.resourceOf('discovery.k8s.io/v1', 'EndpointSlice');

export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';

export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: SliceEndpoint[] | null;
  ports?: SlicePort[] | null;
}

export class EndpointSliceController {
  private readonly watch: ServiceWatch<EndpointSlice>;
  private readonly written = new WrittenObjects<EndpointSlice>();

  constructor(
    private readonly client: ApiClient,
    private readonly log: Logger,
  ) {
    this.watch = new ServiceWatch<EndpointSlice>({
      client,
      owned: ENDPOINT_SLICES,
      ownerOf: (s) => {
        const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
        return service && s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME ? serviceKey(s.metadata.namespace!, service) : undefined;
      },
      sync: (key) => this.sync(key),
      log,
    });
  }

  async start(): Promise<void> {
    await this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  idle(): Promise<void> {
    return this.watch.queue.idle();
  }

  private slicesOf(namespace: string, name: string): EndpointSlice[] {
    return this.written
      .overlay(this.watch.owned.items.values())
      .filter(
        (s) =>
          s.metadata.namespace === namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME &&
          !s.metadata.deletionTimestamp,
      )
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const service = this.watch.services.get(namespace, name);
    const existing = this.slicesOf(namespace, name);
    if (!service || service.metadata.deletionTimestamp) {
      for (const s of existing) await this.remove(s);
      return;
    }
    const selector = podSelectorOf(service);
    if (!selector) return;

    let groups = desiredGroups(service, this.watch.podIndex.selected(service, selector));
    if (groups.length === 0) groups = [{ key: portsKey([]), ports: [], endpoints: [] }];
    const labels = sliceLabels(service);
    const addressType = serviceFamily(service);

    const unused = new Set(existing);
    const writes: Promise<unknown>[] = [];
    for (const group of groups) {
      const reusable = existing.filter((s) => unused.has(s) && portsKey(s.ports ?? []) === group.key && s.addressType === addressType);
      for (const chunk of chunks(group)) {
        const slice = reusable.shift();
        if (slice) {
          unused.delete(slice);
          if (sameContent(slice, chunk, labels)) continue;
          writes.push(this.client.update<EndpointSlice>(ENDPOINT_SLICES, this.render(service, labels, addressType, chunk, slice)).then((o) => this.written.wrote(o)));
        } else {
          writes.push(this.client.create<EndpointSlice>(ENDPOINT_SLICES, namespace, this.render(service, labels, addressType, chunk)).then((o) => this.written.wrote(o)));
        }
      }
    }
    for (const s of unused) writes.push(this.remove(s));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async remove(slice: EndpointSlice): Promise<void> {
    await ignoreNotFound(this.client.delete(ENDPOINT_SLICES, slice.metadata.namespace!, slice.metadata.name!));
    this.written.deleted(slice.metadata.namespace!, slice.metadata.name!);
  }

  private render(service: Service, labels: Record<string, string>, addressType: 'IPv4' | 'IPv6', chunk: SliceGroup, current?: EndpointSlice): EndpointSlice {
    const name = service.metadata.name!;
    const metadata = current
      ? { ...current.metadata }
      : {
          generateName: `${name.slice(0, 57)}-`,
          namespace: service.metadata.namespace!,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: service.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        };
    return {
      metadata: {
        ...metadata,
        labels,
        annotations: { ...(current?.metadata.annotations ?? {}), [TRIGGER_TIME_ANNOTATION]: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      },
      addressType,
      endpoints: chunk.endpoints,
      ports: chunk.ports,
    };
  }
}

function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
  delete labels[HEADLESS_LABEL];
  labels[SERVICE_NAME_LABEL] = service.metadata.name!;
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  return labels;
}

function chunks(group: SliceGroup): SliceGroup[] {
  if (group.endpoints.length <= MAX_ENDPOINTS_PER_SLICE) return [group];
  const out: SliceGroup[] = [];
  for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
    out.push({ ...group, endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  return out;
}

/** Compares what the controller decides, in a projection immune to how the server renders defaults. */
function sameContent(slice: EndpointSlice, chunk: SliceGroup, labels: Record<string, string>): boolean {
  const project = (eps: SliceEndpoint[]) =>
    eps.map((e) => ({
      addresses: e.addresses,
      ready: e.conditions?.ready ?? null,
      serving: e.conditions?.serving ?? null,
      terminating: e.conditions?.terminating ?? null,
      hostname: e.hostname ?? null,
      nodeName: e.nodeName ?? null,
      uid: e.targetRef?.uid ?? null,
    }));
  const projectPorts = (ports: SlicePort[]) => ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', appProtocol: p.appProtocol ?? null }));
  return (
    same(project(slice.endpoints ?? []), project(chunk.endpoints)) &&
    same(projectPorts(slice.ports ?? []), projectPorts(chunk.ports)) &&
    same(slice.metadata.labels ?? {}, labels)
  );
}
