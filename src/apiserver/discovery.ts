// API discovery: legacy (/api, /apis, /api/v1, /apis/G/V) and aggregated v2 (chosen by Accept),
// built once from the resource table. kubectl needs shortNames and categories from here.

import { resources, groupVersions, groupVersion, type ResourceInfo } from '../api/resources.js';

const AGGREGATED_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function wantsAggregated(accept: string | undefined): false | 'v2' | 'v2beta1' {
  if (!accept) return false;
  for (const clause of accept.split(',')) {
    const c = clause.replace(/\s+/g, '');
    if (!c.includes('as=APIGroupDiscoveryList') || !c.includes('g=apidiscovery.k8s.io')) continue;
    if (c.includes('v=v2beta1')) return 'v2beta1';
    if (c.includes('v=v2')) return 'v2';
  }
  return false;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return AGGREGATED_TYPE.replace('v=v2', `v=${version}`);
}

function resourceList(group: string, version: string) {
  const gv = group ? `${group}/${version}` : version;
  const entries: Record<string, unknown>[] = [];
  for (const r of resources.filter((x) => x.group === group && x.version === version)) {
    entries.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
      storageVersionHash: hash(`${gv}/${r.kind}`),
    });
    for (const s of r.subresources) {
      entries.push({
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: entries };
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return Buffer.from(h.toString(16).padStart(8, '0')).toString('base64').slice(0, 11);
}

function aggregatedResource(r: ResourceInfo) {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

function aggregatedList(core: boolean, version: 'v2' | 'v2beta1') {
  const byGroup = new Map<string, ResourceInfo[]>();
  for (const r of resources) {
    if ((r.group === '') !== core) continue;
    let list = byGroup.get(r.group);
    if (!list) byGroup.set(r.group, (list = []));
    list.push(r);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...byGroup.entries()].map(([group, list]) => ({
      metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
      versions: [{ version: list[0]!.version, resources: list.map(aggregatedResource), freshness: 'Current' }],
    })),
  };
}

export class Discovery {
  private readonly legacy = new Map<string, string>();
  private readonly aggregated = new Map<string, string>();

  constructor(serverAddress: string) {
    this.legacy.set(
      '/api',
      JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }),
    );
    const groups = new Map<string, string[]>();
    for (const gv of groupVersions()) {
      if (!gv.group) continue;
      groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
    }
    this.legacy.set(
      '/apis',
      JSON.stringify({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups.entries()].map(([name, versions]) => ({
          name,
          versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      }),
    );
    for (const gv of groupVersions()) {
      const path = gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
      this.legacy.set(path, JSON.stringify(resourceList(gv.group, gv.version)));
    }
    for (const group of groups.keys()) {
      const versions = groups.get(group)!;
      this.legacy.set(
        `/apis/${group}`,
        JSON.stringify({
          kind: 'APIGroup',
          apiVersion: 'v1',
          name: group,
          versions: versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
          preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
        }),
      );
    }
    for (const version of ['v2', 'v2beta1'] as const) {
      this.aggregated.set(`/api:${version}`, JSON.stringify(aggregatedList(true, version)));
      this.aggregated.set(`/apis:${version}`, JSON.stringify(aggregatedList(false, version)));
    }
  }

  /** The document for a discovery path, or undefined when the path is not a discovery path. */
  lookup(path: string, accept: string | undefined): { body: string; contentType: string } | undefined {
    const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const agg = (clean === '/api' || clean === '/apis') && wantsAggregated(accept);
    if (agg) return { body: this.aggregated.get(`${clean}:${agg}`)!, contentType: aggregatedContentType(agg) };
    const body = this.legacy.get(clean);
    return body ? { body, contentType: 'application/json' } : undefined;
  }
}

export { groupVersion };
