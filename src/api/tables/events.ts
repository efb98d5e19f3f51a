// The Event row, for core/v1 and events.k8s.io/v1 Events alike: Kubernetes prints both from one
// internal shape, which `fromCore` and `fromEventsV1` reproduce.

import type { KubeObject } from '../types.js';
import { column, nameColumn } from './columns.js';
import { since, text, timestamp } from './format.js';
import type { Printer } from './types.js';

interface Reference {
  kind?: string;
  name?: string;
  fieldPath?: string;
}

interface Source {
  component?: string;
  host?: string;
}

interface Series {
  count?: number;
  lastObservedTime?: string;
}

interface EventFields {
  regarding?: Reference;
  type: string;
  reason: string;
  message: string;
  source?: Source;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: unknown;
  series?: Series;
}

function fromCore(e: KubeObject): EventFields {
  return {
    regarding: e.involvedObject as Reference | undefined,
    type: text(e.type),
    reason: text(e.reason),
    message: text(e.message),
    source: e.source as Source | undefined,
    reportingController: text(e.reportingComponent),
    reportingInstance: text(e.reportingInstance),
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    count: e.count,
    series: e.series as Series | undefined,
  };
}

function fromEventsV1(e: KubeObject): EventFields {
  return {
    regarding: e.regarding as Reference | undefined,
    type: text(e.type),
    reason: text(e.reason),
    message: text(e.note),
    source: e.deprecatedSource as Source | undefined,
    reportingController: text(e.reportingController),
    reportingInstance: text(e.reportingInstance),
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: e.deprecatedCount,
    series: e.series as Series | undefined,
  };
}

function eventCells(name: unknown, e: EventFields, now: number): unknown[] {
  const first = timestamp(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
  let last = timestamp(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
  let occurrences = typeof e.count === 'number' ? e.count : 0;
  if (e.series) {
    last = since(e.series.lastObservedTime, now);
    occurrences = typeof e.series.count === 'number' ? e.series.count : 0;
  } else if (occurrences === 0) {
    // A singleton event of the new API carries no count.
    occurrences = 1;
  }
  const kind = text(e.regarding?.kind).toLowerCase();
  const target = e.regarding?.name ? `${kind}/${e.regarding.name}` : kind;
  const component = e.source?.component || e.reportingController;
  const host = e.source?.host || e.reportingInstance;
  const source = host ? `${component}, ${host}` : component;
  const subobject = text(e.regarding?.fieldPath);
  return [last, e.type, e.reason, target, subobject, source, e.message.trim(), first, occurrences, text(name)];
}

const columns = [
  column('Last Seen'),
  column('Type'),
  column('Reason'),
  column('Object'),
  column('Subobject', { priority: 1 }),
  column('Source', { priority: 1 }),
  column('Message'),
  column('First Seen', { priority: 1 }),
  column('Count', { priority: 1 }),
  { ...nameColumn, priority: 1 },
];

export const coreEventPrinter: Printer = {
  columns,
  cells: (e, now) => eventCells(e.metadata.name, fromCore(e), now),
};

export const eventsV1Printer: Printer = {
  columns,
  cells: (e, now) => eventCells(e.metadata.name, fromEventsV1(e), now),
};
