// What differs between kinds when they are written: status reset on create, status and spec kept
// apart between the main resource and /status, graceful deletion, namespace finalization, Service
// address allocation, pod admission. The generic registry calls these hooks.

import type { KubeObject, Pod } from '../api/types.js';
import type { ResourceInfo } from '../api/resources.js';
import { errors, field } from '../api/errors.js';
import { admitPod } from '../api/admission/index.js';
import { prepareJobForCreate } from '../api/defaults/workloads.js';
import type { DeleteOptions, Registry, WriteContext } from './registry.js';
import { ipToNumber } from './allocators.js';
import { certificateSigningRequestStrategy } from './certificate-signing-requests.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the registry does beyond the kind's rules (src/api/rules.ts: defaults, status and generation
 * handling, validation): allocation, graceful deletion, finalization, admission.
 */
export interface Strategy {
  /** PUT/PATCH on a missing object creates it. */
  allowCreateOnUpdate: boolean;
  prepareForCreate(obj: KubeObject, registry: Registry, ctx: WriteContext): Promise<void> | void;
  /** Update of the main resource or a subresource other than status, after the kind's rules. */
  prepareForUpdate?(next: KubeObject, current: KubeObject, subresource: string): void;
  /** Grace period for DELETE, or undefined when the kind is deleted at once. */
  gracePeriod(obj: KubeObject, options: DeleteOptions): number | undefined;
  beginGracefulDelete?(obj: KubeObject): void;
  /** Marks the object as being deleted instead of removing it (namespaces); true when deferred. */
  deferDeletion?(obj: KubeObject): boolean;
  /** Whether an object being deleted with no finalizers left may now be removed. */
  removeWhenFinalized(obj: KubeObject): boolean;
  admit?(obj: KubeObject, old: KubeObject | undefined, registry: Registry, ctx: WriteContext): Promise<void>;
  afterDelete?(obj: KubeObject, registry: Registry): Promise<void>;
  afterFailedCreate?(obj: KubeObject, registry: Registry): Promise<void>;
}

const base: Strategy = {
  allowCreateOnUpdate: false,
  prepareForCreate() {},
  gracePeriod: () => undefined,
  removeWhenFinalized: () => true,
};

const podStrategy: Strategy = {
  ...base,
  prepareForCreate(obj) {
    const pod = obj as Pod;
    if (pod.spec.schedulingGates?.length) {
      (pod.status ??= {}).conditions = [
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: obj.metadata.creationTimestamp ?? null,
          reason: 'SchedulingGated',
          message: 'Scheduling is blocked due to non-empty scheduling gates',
        },
      ];
    }
  },
  gracePeriod(obj, options) {
    const pod = obj as Pod;
    const phase = pod.status?.phase;
    if (!pod.spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, grace);
  },
  async admit(obj, old, registry) {
    if (old) return;
    const pod = obj as Pod;
    const namespace = pod.metadata.namespace!;
    const saName = pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
    const sa = await lookUpServiceAccount(registry, namespace, saName);
    const result = admitPod(pod, {
      namespace,
      serviceAccount: sa?.object as { automountServiceAccountToken?: boolean } | undefined,
      randomSuffix: () => Math.random().toString(36).slice(2, 7),
    });
    if (result) throw result;
  },
};

/**
 * The pod's service account. The `default` one is made by a controller just after its namespace, so
 * a pod created right behind its namespace (one `kubectl apply` of both) gets up to ten looks, 100 to
 * 200 ms apart, before it is refused, as the ServiceAccount admission plugin gives it.
 */
async function lookUpServiceAccount(registry: Registry, namespace: string, name: string) {
  const resource = registry.resourceByKind('v1', 'ServiceAccount');
  const attempts = name === 'default' ? 10 : 1;
  const interval = 100 + Math.floor(Math.random() * 100);
  for (let i = 0; ; i++) {
    const sa = await registry.current(resource, namespace, name);
    if (sa || i + 1 >= attempts) return sa;
    await sleep(interval);
  }
}

const namespaceStrategy: Strategy = {
  ...base,
  /** /finalize changes spec.finalizers only (the kind's rules keep them on every other update). */
  prepareForUpdate(next, current, subresource) {
    if (subresource !== 'finalize') return;
    const finalizers = (next.spec as { finalizers?: string[] } | undefined)?.finalizers;
    const keep = structuredClone(current);
    keep.spec = { ...(current.spec as object), finalizers: finalizers ?? [] };
    if (!finalizers?.length) delete (keep.spec as Record<string, unknown>).finalizers;
    keep.metadata.managedFields = next.metadata.managedFields;
    for (const k of Object.keys(next)) delete next[k];
    Object.assign(next, keep);
  },
  deferDeletion(obj) {
    const finalizers = (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;
    if (!finalizers?.length) return false;
    obj.status = { ...(obj.status as object), phase: 'Terminating' };
    return true;
  },
  removeWhenFinalized(obj) {
    return !(obj.spec as { finalizers?: string[] } | undefined)?.finalizers?.length;
  },
};

interface ServicePort {
  port: number;
  nodePort?: number;
  protocol?: string;
}
interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
}

function serviceOwner(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

const serviceStrategy: Strategy = {
  ...base,
  async prepareForCreate(obj, registry) {
    const spec = (obj.spec ??= {}) as ServiceSpec;
    const allocators = registry.allocators;
    const owner = serviceOwner(obj);
    const name = obj.metadata.name ?? '';
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      const requested = spec.clusterIP || spec.clusterIPs?.[0];
      if (requested) {
        if (!allocators.clusterIPs.contains(ipToNumber(requested)) && requested !== allocators.apiServiceIP) {
          throw errors.invalid('', 'Service', name, [
            field.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${registry.serviceCidr}`),
          ]);
        }
        if (!(await allocators.clusterIPs.claim(requested, owner))) {
          throw errors.invalid('', 'Service', name, [field.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: provided IP is already allocated`)]);
        }
        spec.clusterIP = requested;
      } else {
        const ip = await allocators.clusterIPs.allocate(owner);
        if (!ip) throw errors.internal('failed to allocate a serviceIP: range is full');
        spec.clusterIP = ip;
      }
      spec.clusterIPs = [spec.clusterIP];
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    }
    if (needsNodePorts(spec)) {
      const ports = spec.ports ?? [];
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i]!;
        if (p.nodePort) {
          if (!allocators.nodePorts.contains(p.nodePort) || !(await allocators.nodePorts.claim(String(p.nodePort), owner))) {
            await releaseService(obj, registry);
            const detail = allocators.nodePorts.contains(p.nodePort)
              ? 'provided port is already allocated'
              : 'provided port is not in the valid range. The range of valid ports is 30000-32767';
            throw errors.invalid('', 'Service', name, [field.invalid(`spec.ports[${i}].nodePort`, p.nodePort, detail)]);
          }
        } else {
          const port = await allocators.nodePorts.allocate(owner);
          if (!port) throw errors.internal('failed to allocate a nodePort: range is full');
          p.nodePort = Number(port);
        }
      }
    }
  },
  afterDelete: (obj, registry) => releaseService(obj, registry),
  afterFailedCreate: (obj, registry) => releaseService(obj, registry),
};

async function releaseService(obj: KubeObject, registry: Registry): Promise<void> {
  const spec = (obj.spec ?? {}) as ServiceSpec;
  const owner = serviceOwner(obj);
  for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
    if (ip && ip !== 'None') await registry.allocators.clusterIPs.release(ip, owner);
  }
  for (const p of spec.ports ?? []) if (p.nodePort) await registry.allocators.nodePorts.release(String(p.nodePort), owner);
}

const jobStrategy: Strategy = {
  ...base,
  prepareForCreate(obj) {
    prepareJobForCreate(obj, obj.metadata.uid!);
  },
};

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

/** apps/v1 DaemonSets count template changes in an annotation (the old spec.templateGeneration). */
const daemonSetStrategy: Strategy = {
  ...base,
  prepareForCreate(obj) {
    obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION]: '1' };
  },
  prepareForUpdate(next, current, subresource) {
    if (subresource) return;
    const old = Number(current.metadata.annotations?.[TEMPLATE_GENERATION] ?? '1');
    const changed = JSON.stringify((next.spec as { template?: unknown })?.template) !== JSON.stringify((current.spec as { template?: unknown })?.template);
    next.metadata.annotations = { ...next.metadata.annotations, [TEMPLATE_GENERATION]: String(changed ? old + 1 : old) };
  },
};

const createOnUpdate: Strategy = { ...base, allowCreateOnUpdate: true };

const byResource: Record<string, Strategy> = {
  'core/pods': podStrategy,
  'core/namespaces': namespaceStrategy,
  'core/services': serviceStrategy,
  'core/endpoints': createOnUpdate,
  'core/events': createOnUpdate,
  'events.k8s.io/events': createOnUpdate,
  'batch/jobs': jobStrategy,
  'apps/daemonsets': daemonSetStrategy,
  'certificates.k8s.io/certificatesigningrequests': certificateSigningRequestStrategy(base),
};

export function strategyFor(info: ResourceInfo): Strategy {
  return byResource[`${info.group || 'core'}/${info.resource}`] ?? base;
}
