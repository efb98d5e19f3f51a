// Server-side Tables: the rows kubectl prints for `kubectl get`, computed by the server with
// Kubernetes' column sets and cell formatting for each kind.

import type { KubeObject, ListMeta } from '../types.js';
import { printerFor } from './printers.js';
import type { IncludeObject, Table, TableMeta, TableRow } from './types.js';

export type { IncludeObject, Printer, Table, TableColumnDefinition, TableMeta, TableRow, TableRowCondition } from './types.js';
export { summarizePod, type PodSummary } from './pod.js';
export { printerFor } from './printers.js';

export interface TableOptions {
  /** Milliseconds since the epoch: the AGE column and every "ago" are relative to it. */
  now: number;
  /** What each row's `object` holds; Kubernetes' default is `Metadata`. */
  includeObject: IncludeObject;
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
  /** The list's metadata, or `{resourceVersion}` of the single object a GET returned. */
  listMeta?: ListMeta;
}

export function toTable(apiVersion: string, kind: string, objects: KubeObject[], options: TableOptions): Table {
  const printer = printerFor(apiVersion, kind);
  const rows: TableRow[] = new Array(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i]!;
    const row: TableRow = { cells: printer.cells(object, options.now) };
    const conditions = printer.conditions?.(object);
    if (conditions) row.conditions = conditions;
    const embedded = rowObject(apiVersion, kind, object, options.includeObject);
    if (embedded !== undefined) row.object = embedded;
    rows[i] = row;
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: tableMeta(options.listMeta),
    columnDefinitions: options.noHeaders ? null : printer.columns,
    rows,
  };
}

function rowObject(apiVersion: string, kind: string, object: KubeObject, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return undefined;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
    case 'Object':
      return object.apiVersion && object.kind ? object : { apiVersion, kind, ...object };
  }
}

function tableMeta(list: ListMeta | undefined): TableMeta {
  const meta: TableMeta = {};
  if (list?.resourceVersion) meta.resourceVersion = list.resourceVersion;
  if (list?.continue) meta.continue = list.continue;
  if (list?.remainingItemCount !== undefined) meta.remainingItemCount = list.remainingItemCount;
  return meta;
}
