// The meta.k8s.io/v1 Table a server returns for `Accept: application/json;as=Table;...`.

import type { KubeObject } from '../types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface TableMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: TableMeta;
  /** `null` when headers were not asked for (watch events after the first), as Kubernetes sends it. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** How much of each object a row carries (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Turns one object of a kind into the cells of its row; `now` is milliseconds since the epoch. */
export interface Printer {
  readonly columns: TableColumnDefinition[];
  cells(object: KubeObject, now: number): unknown[];
  conditions?(object: KubeObject): TableRowCondition[] | undefined;
}
