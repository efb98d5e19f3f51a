// events.k8s.io/v1: Event, the newer shape of core/v1 Event.
import { MicroTime, Time, topLevel } from './meta.js';
import { ObjectReference } from './core-refs.js';
import { EventSource } from './core-config.js';
import { int32, ref, req, string, struct } from './dsl.js';

export const EventsEventSeries = struct('io.k8s.api.events.v1.EventSeries', 'A series of repeated events.', {
  count: req(int32('Number of occurrences so far.')),
  lastObservedTime: req(ref(MicroTime, 'When the last occurrence was seen.')),
});

export const EventsEvent = topLevel('events.k8s.io', 'v1', 'Event', 'A report of something that happened in the cluster.', {
  action: string('What was done, or failed, about the regarding object.'),
  deprecatedCount: int32('Deprecated count, kept for core/v1 compatibility.'),
  deprecatedFirstTimestamp: ref(Time, 'Deprecated first timestamp, kept for core/v1 compatibility.'),
  deprecatedLastTimestamp: ref(Time, 'Deprecated last timestamp, kept for core/v1 compatibility.'),
  deprecatedSource: ref(EventSource, 'Deprecated source, kept for core/v1 compatibility.'),
  eventTime: req(ref(MicroTime, 'When the event first occurred.')),
  note: string('Human-readable description, at most 1 kB.'),
  reason: string('Short CamelCase reason.'),
  regarding: ref(ObjectReference, 'The object the event is about.'),
  related: ref(ObjectReference, 'A second object involved, if any.'),
  reportingController: string('Controller that emitted the event.'),
  reportingInstance: string('Instance of that controller.'),
  series: ref(EventsEventSeries, 'Data about a series of occurrences.'),
  type: string('Normal or Warning.'),
});
