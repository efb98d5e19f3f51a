// The resources k8ts serves: one table that discovery, OpenAPI, routing, tables and storage read.
// Names, short names, categories and verbs are those of Kubernetes v1.33.

export interface SubresourceInfo {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural lower-case name used in URLs: `pods`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
}

const crud = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const statusSub = (kind: string): SubresourceInfo => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });
const scaleSub: SubresourceInfo = {
  name: 'scale',
  kind: 'Scale',
  group: 'autoscaling',
  version: 'v1',
  verbs: ['get', 'patch', 'update'],
};

function def(
  group: string,
  version: string,
  resource: string,
  kind: string,
  opts: Partial<Pick<ResourceInfo, 'namespaced' | 'shortNames' | 'categories' | 'verbs' | 'subresources' | 'singular'>> = {},
): ResourceInfo {
  return {
    group,
    version,
    resource,
    singular: opts.singular ?? kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    verbs: opts.verbs ?? crud,
    subresources: opts.subresources ?? [],
  };
}

export const resources: ResourceInfo[] = [
  def('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [statusSub('Namespace'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
  }),
  def('', 'v1', 'pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      statusSub('Pod'),
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'ephemeralcontainers', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
  }),
  def('', 'v1', 'nodes', 'Node', {
    namespaced: false,
    shortNames: ['no'],
    subresources: [statusSub('Node'), { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] }],
  }),
  def('', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  def('', 'v1', 'services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [statusSub('Service')],
  }),
  def('', 'v1', 'endpoints', 'Endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  def('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  def('', 'v1', 'secrets', 'Secret'),
  def('', 'v1', 'serviceaccounts', 'ServiceAccount', {
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  }),
  def('apps', 'v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [statusSub('Deployment'), scaleSub],
  }),
  def('apps', 'v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [statusSub('ReplicaSet'), scaleSub],
  }),
  def('apps', 'v1', 'daemonsets', 'DaemonSet', {
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [statusSub('DaemonSet')],
  }),
  def('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  def('batch', 'v1', 'jobs', 'Job', { categories: ['all'], subresources: [statusSub('Job')] }),
  def('batch', 'v1', 'cronjobs', 'CronJob', { shortNames: ['cj'], categories: ['all'], subresources: [statusSub('CronJob')] }),
  def('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  def('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  def('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
  def('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {
    shortNames: ['pdb'],
    subresources: [statusSub('PodDisruptionBudget')],
  }),
  def('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', {
    namespaced: false,
    shortNames: ['csr'],
    subresources: [statusSub('CertificateSigningRequest'), { name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] }],
  }),
];

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map(resources.map((r) => [`${groupVersion(r)}/${r.kind}`, r]));

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return byPath.get(`${group}/${version}/${resource}`);
}

/** By apiVersion (`v1`, `apps/v1`) and kind. */
export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** Group versions served, in discovery order (core first). */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) seen.set(groupVersion(r), { group: r.group, version: r.version });
  return [...seen.values()];
}
