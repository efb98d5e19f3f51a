// core/v1 Event and events.k8s.io/v1 Event are one stored object seen through two versions.
// Stored form: core/v1. These convert between the two shapes.

import type { KubeObject } from './types.js';

type Obj = Record<string, unknown>;

const renames: [core: string, events: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['count', 'deprecatedCount'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['source', 'deprecatedSource'],
  ['reportingComponent', 'reportingController'],
];

const shared = ['reason', 'type', 'eventTime', 'action', 'related', 'reportingInstance', 'series'];

function move(from: Obj, to: Obj, pairs: [string, string][]): void {
  for (const [a, b] of pairs) if (from[a] !== undefined && from[a] !== null && from[a] !== '') to[b] = from[a];
}

export function coreEventToEventsV1(event: KubeObject): KubeObject {
  const src = event as unknown as Obj;
  const out: Obj = { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: event.metadata };
  move(src, out, renames);
  move(src, out, shared.map((k) => [k, k]));
  if (out.eventTime === undefined) out.eventTime = null;
  return out as unknown as KubeObject;
}

export function eventsV1ToCoreEvent(event: KubeObject): KubeObject {
  const src = event as unknown as Obj;
  const out: Obj = { kind: 'Event', apiVersion: 'v1', metadata: event.metadata };
  move(src, out, renames.map(([a, b]) => [b, a]));
  move(src, out, shared.map((k) => [k, k]));
  if (out.involvedObject === undefined) out.involvedObject = {};
  return out as unknown as KubeObject;
}
