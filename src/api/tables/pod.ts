// The Pod row: READY, STATUS and RESTARTS exactly as Kubernetes' pod printer derives them.

import { humanDuration } from '../duration.js';
import type { Container, ContainerStatus, KubeObject, Pod, PodCondition } from '../types.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { NONE, intOrZero, since, text, timestamp } from './format.js';
import type { Printer, TableRowCondition } from './types.js';

export interface PodSummary {
  /** `<ready>/<total>`, sidecars included. */
  ready: string;
  /** The STATUS column: `Running`, `Init:1/2`, `CrashLoopBackOff`, `Terminating`, ... */
  status: string;
  /** `3` or `3 (4s ago)`. */
  restarts: string;
}

/** Restart count and latest restart (finishedAt of the last termination), accumulated. */
class Restarts {
  count = 0;
  last: number | undefined;

  add(status: ContainerStatus): void {
    this.count += intOrZero(status.restartCount);
    const finished = timestamp(status.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.last === undefined || finished > this.last)) this.last = finished;
  }

  format(now: number): string {
    if (this.count === 0 || this.last === undefined) return String(this.count);
    return `${this.count} (${humanDuration(now - this.last)} ago)`;
  }
}

function conditionStatus(conditions: PodCondition[] | undefined, type: string): string | undefined {
  return conditions?.find((c) => c.type === type)?.status;
}

function isSidecar(container: Container | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

export function summarizePod(pod: Pod, now: number): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const initSpecs = spec.initContainers ?? [];
  const initByName = new Map(initSpecs.map((c) => [c.name, c]));

  let total = (spec.containers ?? []).length;
  for (const c of initSpecs) if (isSidecar(c)) total++;
  let ready = 0;

  let reason: string = status.reason || status.phase || '';
  if (status.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }

  const all = new Restarts();
  const sidecars = new Restarts();
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    const sidecar = isSidecar(initByName.get(c.name));
    all.add(c);
    if (sidecar) sidecars.add(c);

    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else if (terminated.signal) reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${intOrZero(terminated.exitCode)}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  let restarts = all;
  if (!initializing || conditionStatus(status.conditions, 'Initialized') === 'True') {
    restarts = sidecars;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walked last to first, so the first container with something to say has the last word.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts.add(c);
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated?.signal) reason = `Signal:${terminated.signal}`;
      else if (terminated) reason = `ExitCode:${intOrZero(terminated.exitCode)}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionStatus(status.conditions, 'Ready') === 'True' ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    reason = 'Terminating';
  }

  return { ready: `${ready}/${total}`, status: reason, restarts: restarts.format(now) };
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return NONE;
  const conditions = pod.status?.conditions ?? [];
  let satisfied = 0;
  for (const gate of gates) {
    if (conditions.find((c) => c.type === gate.conditionType)?.status === 'True') satisfied++;
  }
  return `${satisfied}/${gates.length}`;
}

const succeeded: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const failed: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

export const podPrinter: Printer = {
  columns: [
    nameColumn,
    column('Ready', { description: 'The aggregate readiness state of this pod for accepting traffic.' }),
    column('Status', { description: 'The aggregate status of the containers in this pod.' }),
    column('Restarts', {
      description:
        'The number of times the containers in this pod have been restarted and when the last container in this pod ' +
        'has restarted.',
    }),
    ageColumn,
    column('IP', { priority: 1 }),
    column('Node', { priority: 1 }),
    column('Nominated Node', { priority: 1 }),
    column('Readiness Gates', { priority: 1 }),
  ],
  cells(object: KubeObject, now: number): unknown[] {
    const pod = object as Pod;
    const { ready, status, restarts } = summarizePod(pod, now);
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || NONE;
    return [
      text(pod.metadata.name),
      ready,
      status,
      restarts,
      since(pod.metadata.creationTimestamp, now),
      ip,
      pod.spec?.nodeName || NONE,
      pod.status?.nominatedNodeName || NONE,
      readinessGates(pod),
    ];
  },
  conditions(object: KubeObject): TableRowCondition[] | undefined {
    const phase = (object as Pod).status?.phase;
    return phase === 'Succeeded' ? succeeded : phase === 'Failed' ? failed : undefined;
  },
};
