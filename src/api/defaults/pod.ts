// Pod and pod-template defaulting (core/v1 defaults.go): SetDefaults_PodSpec applies to every pod
// spec, the SetDefaults_Pod extras (requests from limits, service links, host-network ports) only
// to Pods themselves.

import { tryParseQuantity } from '../quantity.js';
import { computeQoSClass } from '../qos.js';
import type { Container, LifecycleHandler, Pod, PodSpec, Probe, Volume } from '../types.js';
import { defaultPullPolicy } from './image.js';

type Rec = Record<string, unknown>;
const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const FILE_MODE_0644 = 420;
const VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'flocker', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flexVolume', 'configMap',
  'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO',
  'csi', 'ephemeral', 'image',
];

export function defaultPod(pod: Pod): void {
  // A missing or null spec decodes, in Kubernetes, to an empty one: defaulted, then refused by validation.
  if (pod.spec === undefined || pod.spec === null) pod.spec = {} as Pod['spec'];
  if (!isObject(pod.spec)) return;
  const spec = pod.spec;
  defaultPodSpec(spec);
  for (const c of [...listOf(spec.containers), ...listOf(spec.initContainers)]) requestsFromLimits(c);
  spec.enableServiceLinks ??= true;
  if (spec.hostNetwork) {
    for (const c of [...listOf(spec.containers), ...listOf(spec.initContainers)]) {
      for (const port of listOf(c.ports)) if (!port.hostPort) port.hostPort = port.containerPort;
    }
  }
}

/** What the pod strategy sets on create: generation 1, phase Pending and the QoS class. */
export function preparePodForCreate(pod: Pod): void {
  pod.metadata.generation = 1;
  const qosClass = isObject(pod.spec) ? computeQoSClass(pod) : 'BestEffort';
  pod.status = { phase: 'Pending', qosClass };
}

/**
 * Pod templates: the spec defaults, and the zero creationTimestamp (`null`) that Kubernetes
 * prints for every embedded ObjectMeta.
 */
export function defaultPodTemplate(template: unknown): void {
  if (!isObject(template)) return;
  const meta = isObject(template.metadata) ? template.metadata : (template.metadata = {});
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  if (isObject(template.spec)) defaultPodSpec(template.spec as PodSpec);
}

export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of listOf(spec.containers)) defaultContainer(c);
  for (const c of listOf(spec.initContainers)) defaultContainer(c);
  for (const c of listOf(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of listOf(spec.volumes)) defaultVolume(v);
}

function listOf<T>(v: T[] | undefined): T[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const port of listOf(c.ports)) if (!port.protocol) port.protocol = 'TCP';
  for (const ev of listOf(c.env)) {
    const from = ev.valueFrom;
    if (!isObject(from)) continue;
    if (isObject(from.fieldRef) && !from.fieldRef.apiVersion) from.fieldRef.apiVersion = 'v1';
    if (isObject(from.resourceFieldRef)) defaultResourceFieldRef(from.resourceFieldRef as Rec);
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) if (isObject(probe)) defaultProbe(probe);
  if (isObject(c.lifecycle)) {
    for (const hook of [c.lifecycle.postStart, c.lifecycle.preStop]) if (isObject(hook)) defaultHandler(hook);
  }
  // ResourceRequirements is a plain struct in Kubernetes: it is always there, if only as `{}`.
  if (!isObject(c.resources)) c.resources = {};
  canonicalizeResourceList(c.resources as Rec);
}

function defaultProbe(p: Probe): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHandler(p);
  if (isObject(p.grpc) && (p.grpc.service === undefined || p.grpc.service === null)) p.grpc.service = '';
}

function defaultHandler(h: LifecycleHandler | Probe): void {
  const get = h.httpGet;
  if (!isObject(get)) return;
  if (!get.path) get.path = '/';
  if (!get.scheme) get.scheme = 'HTTP';
}

function requestsFromLimits(c: Container): void {
  const res = c.resources;
  if (!isObject(res) || !isObject(res.limits)) return;
  const requests = (res.requests = isObject(res.requests) ? res.requests : {});
  for (const [name, value] of Object.entries(res.limits)) if (!(name in requests)) requests[name] = value;
}

/** Stores quantities in canonical form, as a decode/encode round trip through Kubernetes does. */
export function canonicalizeResourceList(res: Rec): void {
  for (const list of [res.limits, res.requests]) {
    if (!isObject(list)) continue;
    for (const [name, value] of Object.entries(list)) {
      const q = tryParseQuantity(value);
      if (q) list[name] = q.toString();
    }
  }
}

function defaultResourceFieldRef(ref: Rec): void {
  const q = ref.divisor === undefined || ref.divisor === null ? undefined : tryParseQuantity(ref.divisor);
  if (ref.divisor === undefined || ref.divisor === null) ref.divisor = '0';
  else if (q) ref.divisor = q.toString();
}

function defaultVolume(v: Volume): void {
  if (!VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  if (isObject(v.emptyDir) && v.emptyDir.sizeLimit !== undefined) {
    const q = tryParseQuantity(v.emptyDir.sizeLimit);
    if (q) v.emptyDir.sizeLimit = q.toString();
  }
  if (isObject(v.hostPath) && (v.hostPath.type === undefined || v.hostPath.type === null)) v.hostPath.type = '';
  for (const src of [v.secret, v.configMap, v.downwardAPI, v.projected]) {
    if (isObject(src) && (src.defaultMode === undefined || src.defaultMode === null)) src.defaultMode = FILE_MODE_0644;
  }
  if (isObject(v.downwardAPI)) defaultDownwardItems(v.downwardAPI.items);
  if (isObject(v.projected) && Array.isArray(v.projected.sources)) {
    for (const src of v.projected.sources) {
      if (!isObject(src)) continue;
      if (isObject(src.downwardAPI)) defaultDownwardItems(src.downwardAPI.items);
      const token = src.serviceAccountToken;
      if (isObject(token) && (token.expirationSeconds === undefined || token.expirationSeconds === null)) token.expirationSeconds = 3600;
    }
  }
}

function defaultDownwardItems(items: unknown): void {
  if (!Array.isArray(items)) return;
  for (const item of items) {
    if (!isObject(item)) continue;
    if (isObject(item.fieldRef) && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
    if (isObject(item.resourceFieldRef)) defaultResourceFieldRef(item.resourceFieldRef);
  }
}
