// Container resource requirements: names, quantities, requests ≤ limits
// (core validation validateResourceRequirements and friends).

import { field } from '../errors.js';
import { parseQuantity, Quantity, QuantityError } from '../quantity.js';
import { child, key, type Errs } from './field.js';
import { isQualifiedName, NON_NEGATIVE_MSG } from './strings.js';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const integerResources = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

const isHugePages = (name: string) => name.startsWith('hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');

function isExtendedResourceName(name: string): boolean {
  if (isNative(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** Extended resources and counted objects must be whole numbers; cpu, memory and the like need not. */
const isIntegerResource = (name: string) => integerResources.has(name) || isExtendedResourceName(name);
/** Only native, non-hugepage resources may be requested below their limit. */
const isOvercommitAllowed = (name: string) => isNative(name) && !isHugePages(name);

export function validateContainerResourceName(name: string, path: string): Errs {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (errs.length) return errs;
  if (!name.includes('/')) {
    if (!standardResources.has(name) && !isHugePages(name)) {
      return [field.invalid(path, name, 'must be a standard resource type or fully qualified')];
    }
    if (!standardContainerResources.has(name) && !isHugePages(name)) {
      return [field.invalid(path, name, 'must be a standard resource for containers')];
    }
  } else if (!isNative(name) && !isExtendedResourceName(name)) {
    return [field.invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return [];
}

/** Parses a quantity field, turning a bad value into the field error a decode failure would carry. */
export function quantityAt(raw: unknown, path: string, errs: Errs): Quantity | undefined {
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    errs.push(field.invalid(path, raw, 'must be a quantity'));
    return undefined;
  }
  try {
    return parseQuantity(raw);
  } catch (e) {
    errs.push(field.invalid(path, raw, e instanceof QuantityError ? e.message : String(e)));
    return undefined;
  }
}

export function validateResourceQuantityValue(name: string, q: Quantity, path: string): Errs {
  const errs: Errs = [];
  if (q.sign() < 0) errs.push(field.invalid(path, q.toString(), NON_NEGATIVE_MSG));
  if (isIntegerResource(name) && q.milliValue() % 1000 !== 0) errs.push(field.invalid(path, q.toString(), 'must be an integer'));
  return errs;
}

export interface ResourceRequirements {
  limits?: Record<string, unknown>;
  requests?: Record<string, unknown>;
  claims?: unknown[];
}

export function validateResourceRequirements(req: ResourceRequirements | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!req) return errs;
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  let limitsCpuOrMemory = false;
  let requestsCpuOrMemory = false;
  let hugePages = false;
  for (const [name, raw] of Object.entries(req.limits ?? {})) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    limits.set(name, q);
    errs.push(...validateResourceQuantityValue(name, q, p));
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') limitsCpuOrMemory = true;
  }
  for (const [name, raw] of Object.entries(req.requests ?? {})) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(field.invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(field.invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(field.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') requestsCpuOrMemory = true;
  }
  if (hugePages && !limitsCpuOrMemory && !requestsCpuOrMemory) errs.push(field.forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}
