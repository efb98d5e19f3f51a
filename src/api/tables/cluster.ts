// Rows of the cluster-level kinds: Namespace, Node, Lease; and ConfigMap, Secret, ServiceAccount.

import type { Node } from '../types.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { NONE, since, sizeOf, text } from './format.js';
import type { Printer } from './types.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

export const namespacePrinter: Printer = {
  columns: [nameColumn, column('Status', { description: 'The status of the namespace' }), ageColumn],
  cells(ns, now) {
    const phase = (ns.status as { phase?: string } | undefined)?.phase;
    return [text(ns.metadata.name), text(phase), since(ns.metadata.creationTimestamp, now)];
  },
};

/** `Ready`, `NotReady` or `Unknown` from the Ready condition, then `SchedulingDisabled` if cordoned. */
function nodeStatus(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (node.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(ROLE_PREFIX)) {
      const role = key.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',');
}

function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? NONE;
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', { description: 'The status of the node' }),
    column('Roles', { description: 'The roles of the node' }),
    ageColumn,
    column('Version'),
    column('Internal-IP', { priority: 1 }),
    column('External-IP', { priority: 1 }),
    column('OS-Image', { priority: 1 }),
    column('Kernel-Version', { priority: 1 }),
    column('Container-Runtime', { priority: 1 }),
  ],
  cells(object, now) {
    const node = object as Node;
    const info = node.status?.nodeInfo ?? {};
    return [
      text(node.metadata.name),
      nodeStatus(node),
      nodeRoles(node),
      since(node.metadata.creationTimestamp, now),
      text(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};

export const leasePrinter: Printer = {
  columns: [nameColumn, column('Holder'), ageColumn],
  cells(lease, now) {
    const holder = (lease.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
    return [text(lease.metadata.name), text(holder), since(lease.metadata.creationTimestamp, now)];
  },
};

export const configMapPrinter: Printer = {
  columns: [nameColumn, column('Data'), ageColumn],
  cells(cm, now) {
    return [text(cm.metadata.name), sizeOf(cm.data) + sizeOf(cm.binaryData), since(cm.metadata.creationTimestamp, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [nameColumn, column('Type'), column('Data'), ageColumn],
  cells(secret, now) {
    const age = since(secret.metadata.creationTimestamp, now);
    return [text(secret.metadata.name), text(secret.type), sizeOf(secret.data), age];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [nameColumn, column('Secrets'), ageColumn],
  cells(sa, now) {
    return [text(sa.metadata.name), sizeOf(sa.secrets), since(sa.metadata.creationTimestamp, now)];
  },
};
