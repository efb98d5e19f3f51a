// Every message the codec knows, and which message carries which apiVersion/kind.

import { coreSchema } from './core.js';
import { certificatesSchema } from './certificates.js';
import { metaSchema } from './meta.js';
import { checkReferences, parseSchema, type MessageDef } from './parse.js';
import { requestsSchema } from './requests.js';
import { workloadsSchema } from './workloads.js';

export type { FieldDef, MessageDef } from './parse.js';

export const messages: ReadonlyMap<string, MessageDef> = (() => {
  const all = new Map<string, MessageDef>();
  for (const text of [metaSchema, coreSchema, workloadsSchema, requestsSchema, certificatesSchema]) parseSchema(text, all);
  checkReferences(all);
  return all;
})();

/** `apps/v1/Deployment` → the message that encodes it. */
const kinds = new Map<string, string>([
  ['v1/Namespace', 'Namespace'],
  ['v1/ConfigMap', 'ConfigMap'],
  ['v1/Secret', 'Secret'],
  ['v1/ServiceAccount', 'ServiceAccount'],
  ['v1/Service', 'Service'],
  ['v1/Endpoints', 'Endpoints'],
  ['v1/Pod', 'Pod'],
  ['apps/v1/Deployment', 'Deployment'],
  ['apps/v1/ReplicaSet', 'ReplicaSet'],
  ['apps/v1/DaemonSet', 'DaemonSet'],
  ['batch/v1/Job', 'Job'],
  ['batch/v1/CronJob', 'CronJob'],
  ['policy/v1/PodDisruptionBudget', 'PodDisruptionBudget'],
  ['v1/DeleteOptions', 'DeleteOptions'],
  ['meta.k8s.io/v1/DeleteOptions', 'DeleteOptions'],
  ['authentication.k8s.io/v1/TokenRequest', 'TokenRequest'],
  ['certificates.k8s.io/v1/CertificateSigningRequest', 'CertificateSigningRequest'],
]);

export function messageFor(apiVersion: string, kind: string): MessageDef | undefined {
  const name = kinds.get(`${apiVersion}/${kind}`);
  return name === undefined ? undefined : messages.get(name);
}

export function message(name: string): MessageDef {
  const def = messages.get(name);
  if (!def) throw new Error(`protobuf schema: no message ${name}`);
  return def;
}
