// Which printer renders which kind (by API group and kind), and the default for every other kind:
// NAME and CREATED AT, as Kubernetes' default table convertor renders them.

import { CREATED_DOC, column, nameColumn } from './columns.js';
import {
  configMapPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './cluster.js';
import { coreEventPrinter, eventsV1Printer } from './events.js';
import { certificateSigningRequestPrinter } from './certificates.js';
import { text, timestamp } from './format.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './network.js';
import { podPrinter } from './pod.js';
import type { Printer } from './types.js';
import {
  controllerRevisionPrinter,
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  jobPrinter,
  podDisruptionBudgetPrinter,
  replicaSetPrinter,
} from './workloads.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export const defaultPrinter: Printer = {
  columns: [nameColumn, column('Created At', { type: 'date', description: CREATED_DOC })],
  cells(object) {
    const created = timestamp(object.metadata.creationTimestamp);
    // RFC3339 at second precision, as Go formats it; Go's zero time when there is none.
    const at = created === undefined ? ZERO_TIME : `${new Date(created).toISOString().slice(0, 19)}Z`;
    return [text(object.metadata.name), at];
  },
};

const byGroupKind = new Map<string, Printer>([
  ['/Namespace', namespacePrinter],
  ['/Pod', podPrinter],
  ['/Node', nodePrinter],
  ['/Event', coreEventPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['apps/ControllerRevision', controllerRevisionPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['events.k8s.io/Event', eventsV1Printer],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['certificates.k8s.io/CertificateSigningRequest', certificateSigningRequestPrinter],
]);

/** The printer for `apiVersion` (`v1`, `apps/v1`) and `kind`; any version of a group prints alike. */
export function printerFor(apiVersion: string, kind: string): Printer {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return byGroupKind.get(`${group}/${kind}`) ?? defaultPrinter;
}
