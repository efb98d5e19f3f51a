// Which schema describes which kind, and the closure of every named type they use.
import { groupVersion, resources, type ResourceInfo } from '../resources.js';
import type { GroupVersionKind, Shape, TypeDef } from './dsl.js';
import { DeleteOptions, Patch, Status, WatchEvent, listOf } from './meta.js';
import { Binding, Pod } from './core-pod.js';
import { Endpoints, Service } from './core-service.js';
import { Node } from './core-node.js';
import { ConfigMap, Event, Namespace, Secret, ServiceAccount } from './core-config.js';
import { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from './apps.js';
import { CronJob, Job } from './batch.js';
import { Eviction, PodDisruptionBudget } from './policy.js';
import { Lease } from './coordination.js';
import { EndpointSlice } from './discovery.js';
import { EventsEvent } from './events.js';
import { Scale } from './autoscaling.js';
import { TokenRequest } from './authentication.js';
import { CertificateSigningRequest } from './certificates.js';

const kindsOfResources: TypeDef[] = [
  Namespace,
  Pod,
  Node,
  Event,
  Service,
  Endpoints,
  ConfigMap,
  Secret,
  ServiceAccount,
  Deployment,
  ReplicaSet,
  DaemonSet,
  ControllerRevision,
  Job,
  CronJob,
  Lease,
  EndpointSlice,
  EventsEvent,
  PodDisruptionBudget,
  CertificateSigningRequest,
];

/** Kinds that are bodies of subresources or of other requests rather than stored resources. */
const requestKinds: TypeDef[] = [Binding, Eviction, Scale, TokenRequest, Status, DeleteOptions];

const key = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;
const gvkKey = (g: GroupVersionKind) => key(groupVersion(g), g.kind);

function buildIndex(): { byKind: Map<string, TypeDef>; lists: Map<string, TypeDef> } {
  const byKind = new Map<string, TypeDef>();
  for (const def of [...kindsOfResources, ...requestKinds]) {
    for (const g of def.gvk ?? []) byKind.set(gvkKey(g), def);
  }
  const lists = new Map<string, TypeDef>();
  for (const r of resources) {
    const item = byKind.get(key(groupVersion(r), r.kind));
    if (!item) throw new Error(`no schema for ${groupVersion(r)} ${r.kind}`);
    const listDef = listOf(item, r.resource);
    lists.set(key(groupVersion(r), r.listKind), listDef);
    byKind.set(key(groupVersion(r), r.listKind), listDef);
  }
  return { byKind, lists };
}

const index = buildIndex();

/** The schema of a kind, by apiVersion (`v1`, `apps/v1`) and kind; lists included. */
export function schemaForKind(apiVersion: string, kind: string): TypeDef | undefined {
  return index.byKind.get(key(apiVersion, kind));
}

export function schemaForResource(r: ResourceInfo): TypeDef {
  return index.byKind.get(key(groupVersion(r), r.kind))!;
}

export function listSchemaForResource(r: ResourceInfo): TypeDef {
  return index.lists.get(key(groupVersion(r), r.listKind))!;
}

export const commonSchemas = { Status, DeleteOptions, Patch, WatchEvent } as const;

/** Every named type reachable from `roots`, each once, in a stable order (by name). */
export function closure(roots: Iterable<TypeDef>): TypeDef[] {
  const seen = new Map<string, TypeDef>();
  const visitShape = (s: Shape): void => {
    if (s.kind === 'ref') visit(s.to);
    else if (s.kind === 'array') visitShape(s.items);
    else if (s.kind === 'map') visitShape(s.values);
  };
  const visit = (def: TypeDef): void => {
    const prior = seen.get(def.name);
    if (prior) {
      if (prior !== def) throw new Error(`two schemas are named ${def.name}`);
      return;
    }
    seen.set(def.name, def);
    for (const f of Object.values(def.fields ?? {})) visitShape(f.shape);
  };
  for (const r of roots) visit(r);
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every kind the server knows a schema for (resources, their lists, request kinds). */
export function allKinds(): TypeDef[] {
  return [...new Set(index.byKind.values())];
}
