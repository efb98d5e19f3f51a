// Pod volumes and the sources they name (core validation ValidateVolumes / validateVolumeSource).

import { field } from '../errors.js';
import type { Volume } from '../types.js';
import { child, eachObject, index, isObject, type Errs } from './field.js';
import { quantityAt } from './resources.js';
import { isConfigMapKey, isDNS1123Label, isQualifiedName } from './strings.js';

const FILE_MODE_MSG = 'must be a number between 0 and 0777 (octal), both inclusive';

/** Every volume source, in the order Kubernetes checks them, with the path its "more than 1" error uses. */
const volumeSources: [key: string, forbiddenPath: string][] = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

export const VOLUME_SOURCE_KEYS = volumeSources.map(([k]) => k);

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const podFieldLabels = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);
export const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const volumeFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
export const resourceFieldPaths = [
  'limits.cpu',
  'limits.ephemeral-storage',
  'limits.memory',
  'requests.cpu',
  'requests.ephemeral-storage',
  'requests.memory',
];

type Rec = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Validates the list; returns the names that are valid and can be mounted. */
export function validateVolumes(volumes: Volume[] | undefined, path: string): { names: Set<string>; errs: Errs } {
  const errs: Errs = [];
  const names = new Set<string>();
  eachObject(volumes, (vol, i) => {
    const p = index(path, i);
    const el = validateVolumeSource(vol as Rec, p);
    const name = str(vol.name);
    if (!name) el.push(field.required(child(p, 'name'), ''));
    else for (const msg of isDNS1123Label(name)) el.push(field.invalid(child(p, 'name'), name, msg));
    if (names.has(name)) el.push(field.duplicate(child(p, 'name'), name));
    if (el.length === 0) names.add(name);
    else errs.push(...el);
  });
  return { names, errs };
}

function validateVolumeSource(vol: Rec, path: string): Errs {
  const errs: Errs = [];
  let count = 0;
  for (const [k, forbiddenPath] of volumeSources) {
    const src = vol[k];
    if (src === undefined || src === null) continue;
    if (count > 0) {
      errs.push(field.forbidden(child(path, forbiddenPath), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateSource(k, isObject(src) ? src : {}, child(path, k)));
  }
  if (count === 0) errs.push(field.required(path, 'must specify a volume type'));
  return errs;
}

function validateSource(kind: string, src: Rec, path: string): Errs {
  const errs: Errs = [];
  switch (kind) {
    case 'emptyDir':
      if (src.sizeLimit !== undefined) {
        const q = quantityAt(src.sizeLimit, child(path, 'sizeLimit'), errs);
        if (q && q.sign() < 0) errs.push(field.forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      break;
    case 'hostPath': {
      const p = str(src.path);
      if (!p) {
        errs.push(field.required(child(path, 'path'), ''));
        break;
      }
      errs.push(...noBacksteps(p, child(path, 'path')));
      if (src.type !== undefined && src.type !== null && !hostPathTypes.includes(str(src.type))) {
        errs.push(field.notSupported(child(path, 'type'), src.type, hostPathTypes));
      }
      break;
    }
    case 'secret':
      if (!str(src.secretName)) errs.push(field.required(child(path, 'secretName'), ''));
      errs.push(...fileMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...keyToPaths(src.items, child(path, 'items')));
      break;
    case 'configMap':
      if (!str(src.name)) errs.push(field.required(child(path, 'name'), ''));
      errs.push(...fileMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...keyToPaths(src.items, child(path, 'items')));
      break;
    case 'downwardAPI':
      errs.push(...fileMode(src.defaultMode, child(path, 'defaultMode')));
      for (const item of asList(src.items)) errs.push(...downwardAPIFile(item, path));
      break;
    case 'projected':
      errs.push(...fileMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...projectionSources(asList(src.sources), path));
      break;
    case 'persistentVolumeClaim':
      if (!str(src.claimName)) errs.push(field.required(child(path, 'claimName'), ''));
      break;
    case 'nfs':
      if (!str(src.server)) errs.push(field.required(child(path, 'server'), ''));
      if (!str(src.path)) errs.push(field.required(child(path, 'path'), ''));
      if (!str(src.path).startsWith('/')) errs.push(field.invalid(child(path, 'path'), str(src.path), 'must be an absolute path'));
      break;
    case 'csi':
      if (!str(src.driver)) errs.push(field.required(child(path, 'driver'), ''));
      break;
    case 'gitRepo':
      if (!str(src.repository)) errs.push(field.required(child(path, 'repository'), ''));
      errs.push(...localDescendingPath(str(src.directory), child(path, 'directory')));
      break;
    case 'ephemeral':
      if (!isObject(src.volumeClaimTemplate)) errs.push(field.required(child(path, 'volumeClaimTemplate'), ''));
      break;
  }
  return errs;
}

const asList = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isObject) : []);

function fileMode(mode: unknown, path: string): Errs {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777)) return [field.invalid(path, mode, FILE_MODE_MSG)];
  return [];
}

function keyToPaths(items: unknown, path: string): Errs {
  const errs: Errs = [];
  asList(items).forEach((item, i) => errs.push(...keyToPath(item, index(path, i))));
  return errs;
}

function keyToPath(item: Rec, path: string): Errs {
  const errs: Errs = [];
  if (!str(item.key)) errs.push(field.required(child(path, 'key'), ''));
  if (!str(item.path)) errs.push(field.required(child(path, 'path'), ''));
  errs.push(...localNonReservedPath(str(item.path), child(path, 'path')));
  errs.push(...fileMode(item.mode, child(path, 'mode')));
  return errs;
}

export function noBacksteps(p: string, path: string): Errs {
  return p.split('/').includes('..') ? [field.invalid(path, p, "must not contain '..'")] : [];
}

export function localDescendingPath(p: string, path: string): Errs {
  const errs: Errs = [];
  if (p.startsWith('/')) errs.push(field.invalid(path, p, 'must be a relative path'));
  return errs.concat(noBacksteps(p, path));
}

function localNonReservedPath(p: string, path: string): Errs {
  const errs = localDescendingPath(p, path);
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(field.invalid(path, p, "must not start with '..'"));
  return errs;
}

function downwardAPIFile(file: Rec, path: string): Errs {
  const errs: Errs = [];
  if (!str(file.path)) errs.push(field.required(child(path, 'path'), ''));
  errs.push(...localNonReservedPath(str(file.path), child(path, 'path')));
  if (isObject(file.fieldRef)) {
    errs.push(...validateObjectFieldSelector(file.fieldRef, volumeFieldPaths, child(path, 'fieldRef')));
    if (isObject(file.resourceFieldRef)) {
      errs.push(field.invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    }
  } else if (isObject(file.resourceFieldRef)) {
    errs.push(...validateResourceFieldSelector(file.resourceFieldRef, child(path, 'resourceFieldRef'), true));
  } else {
    errs.push(field.required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...fileMode(file.mode, child(path, 'mode')));
  return errs;
}

function projectionSources(sources: Rec[], path: string): Errs {
  const errs: Errs = [];
  const paths = new Set<string>();
  const claim = (p: string, value: string) => {
    if (!p) return;
    if (paths.has(p)) errs.push(field.invalid(path, value, 'conflicting duplicate paths'));
    else paths.add(p);
  };
  sources.forEach((source, i) => {
    const sp = index(child(path, 'sources'), i);
    let count = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = source[kind];
      if (!isObject(s)) continue;
      count++;
      const p = child(sp, kind);
      if (!str(s.name)) errs.push(field.required(child(p, 'name'), ''));
      asList(s.items).forEach((item, j) => {
        errs.push(...keyToPath(item, index(child(p, 'items'), j)));
        claim(str(item.path), str(s.name));
      });
    }
    if (isObject(source.downwardAPI)) {
      count++;
      for (const item of asList(source.downwardAPI.items)) {
        errs.push(...downwardAPIFile(item, child(sp, 'downwardAPI')));
        claim(str(item.path), str(item.path));
      }
    }
    const token = source.serviceAccountToken;
    if (isObject(token)) {
      count++;
      const p = child(sp, 'serviceAccountToken');
      const seconds = typeof token.expirationSeconds === 'number' ? token.expirationSeconds : 0;
      if (seconds < 600) errs.push(field.invalid(child(p, 'expirationSeconds'), seconds, 'may not specify a duration less than 10 minutes'));
      if (seconds > 2 ** 32) errs.push(field.invalid(child(p, 'expirationSeconds'), seconds, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(token.path)) errs.push(field.required(child(path, 'path'), ''));
      else errs.push(...localNonReservedPath(str(token.path), child(path, 'path')));
    }
    if (isObject(source.clusterTrustBundle)) {
      count++;
      const p = child(sp, 'clusterTrustBundle');
      if (!str(source.clusterTrustBundle.path)) errs.push(field.required(child(p, 'path'), ''));
      claim(str(source.clusterTrustBundle.path), str(source.clusterTrustBundle.path));
    }
    if (count > 1) errs.push(field.forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

/** The downward API field selector (fieldRef) of an env var or a downwardAPI volume file. */
export function validateObjectFieldSelector(ref: Rec, allowed: string[], path: string): Errs {
  const apiVersion = str(ref.apiVersion);
  const fieldPath = str(ref.fieldPath);
  if (!apiVersion) return [field.required(child(path, 'apiVersion'), '')];
  if (!fieldPath) return [field.required(child(path, 'fieldPath'), '')];
  const sub = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fieldPath);
  const base = sub ? sub[1]! : fieldPath;
  let problem: string | undefined;
  if (apiVersion !== 'v1') problem = `unsupported pod version: ${apiVersion}`;
  else if (!podFieldLabels.has(base)) problem = `field label not supported: ${fieldPath}`;
  if (problem) return [field.invalid(child(path, 'fieldPath'), fieldPath, `error converting fieldPath: ${problem}`)];
  if (sub) {
    const subscript = base === 'metadata.annotations' ? sub[2]!.toLowerCase() : sub[2]!;
    return isQualifiedName(subscript).map((msg) => field.invalid(path, subscript, msg));
  }
  if (!allowed.includes(base)) return [field.notSupported(child(path, 'fieldPath'), base, allowed)];
  return [];
}

const cpuDivisors = new Set(['1m', '1']);
const byteDivisors = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);

export function validateResourceFieldSelector(ref: Rec, path: string, inVolume: boolean): Errs {
  const errs: Errs = [];
  const resource = str(ref.resource);
  if (inVolume && !str(ref.containerName)) errs.push(field.required(child(path, 'containerName'), ''));
  else if (!resource) errs.push(field.required(child(path, 'resource'), ''));
  else if (!resourceFieldPaths.includes(resource) && !/^(requests|limits)\.hugepages-/.test(resource)) {
    errs.push(field.notSupported(child(path, 'resource'), resource, resourceFieldPaths));
  }
  if (ref.divisor !== undefined && ref.divisor !== null) {
    const q = quantityAt(ref.divisor, child(path, 'divisor'), errs);
    if (q && !q.isZero()) {
      const d = q.toString();
      const divisorPath = child(path, 'divisor');
      if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !cpuDivisors.has(d)) {
        errs.push(field.invalid(divisorPath, resource, 'only divisor\'s values 1m and 1 are supported with the cpu resource'));
      } else if ((resource === 'limits.memory' || resource === 'requests.memory') && !byteDivisors.has(d)) {
        errs.push(field.invalid(divisorPath, resource, `only divisor's values ${[...byteDivisors].join(', ')} are supported with the memory resource`));
      } else if (resource.endsWith('.ephemeral-storage') && !byteDivisors.has(d)) {
        errs.push(field.invalid(divisorPath, resource, `only divisor's values ${[...byteDivisors].join(', ')} are supported with the local ephemeral storage resource`));
      }
    }
  }
  return errs;
}

export function validateConfigMapKey(k: string, path: string): Errs {
  return isConfigMapKey(k).map((msg) => field.invalid(path, k, msg));
}
