// What the runtime needs to create a pod's sandbox: hostname and domain, DNS settings by
// dnsPolicy, host port mappings, and the labels that tie the sandbox to its pod. Also the
// kubelet-managed /etc/hosts that every container of a pod-network pod mounts.

import type { Pod } from '../api/types.js';
import type { DnsConfig, PodSandboxConfig, PortMapping } from '../runtime/types.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from './types.js';

export interface SandboxContext {
  /** Cluster DNS: its servers, extra search domains and options (absent: pods use the node's resolver). */
  clusterDns?: DnsConfig;
  clusterDomain: string;
  logRoot: string;
}

/** Hostname and (with a subdomain) domain, as `GeneratePodHostNameAndDomain`. */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain?: string } {
  const base = pod.spec.hostname || pod.metadata.name || '';
  const hostname = base.slice(0, 63).replace(/[-.]+$/, '');
  if (!pod.spec.subdomain) return { hostname };
  return { hostname, domain: `${pod.spec.subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}` };
}

export function podLogDirectory(logRoot: string, pod: Pod): string {
  return `${logRoot}/${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`;
}

export function podSandboxConfig(pod: Pod, attempt: number, ctx: SandboxContext): PodSandboxConfig {
  const { hostname, domain } = podHostnameAndDomain(pod, ctx.clusterDomain);
  const dns = podDnsConfig(pod, ctx);
  return {
    podUid: pod.metadata.uid ?? '',
    name: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? 'default',
    attempt,
    hostname: pod.spec.setHostnameAsFQDN && domain ? `${hostname}.${domain}` : hostname,
    logDirectory: podLogDirectory(ctx.logRoot, pod),
    ...(dns ? { dnsConfig: dns } : {}),
    portMappings: portMappings(pod),
    hostNetwork: pod.spec.hostNetwork === true,
    hostPID: pod.spec.hostPID === true,
    hostIPC: pod.spec.hostIPC === true,
    shareProcessNamespace: pod.spec.shareProcessNamespace === true,
    labels: {
      ...(pod.metadata.labels ?? {}),
      [LABEL_POD_NAME]: pod.metadata.name ?? '',
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? 'default',
      [LABEL_POD_UID]: pod.metadata.uid ?? '',
    },
    annotations: { ...(pod.metadata.annotations ?? {}) },
  };
}

function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  return out;
}

interface PodDnsSpec {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

/** DNS by dnsPolicy; undefined means "the node's resolver as it is". */
export function podDnsConfig(pod: Pod, ctx: SandboxContext): DnsConfig | undefined {
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const custom = pod.spec.dnsConfig as PodDnsSpec | undefined;
  const hostNetwork = pod.spec.hostNetwork === true;
  const useCluster = ctx.clusterDns && ((policy === 'ClusterFirst' && !hostNetwork) || policy === 'ClusterFirstWithHostNet');
  let base: DnsConfig | undefined;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (useCluster) {
    const ns = pod.metadata.namespace ?? 'default';
    const d = ctx.clusterDomain;
    base = {
      servers: [...ctx.clusterDns!.servers],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...ctx.clusterDns!.searches],
      options: ctx.clusterDns!.options.length ? [...ctx.clusterDns!.options] : ['ndots:5'],
    };
  }
  if (!custom) return base;
  const merged = base ?? { servers: [], searches: [], options: [] };
  const options = new Map(merged.options.map((o) => [o.split(':')[0]!, o]));
  for (const o of custom.options ?? []) options.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return {
    servers: dedupe([...merged.servers, ...(custom.nameservers ?? [])]),
    searches: dedupe([...merged.searches, ...(custom.searches ?? [])]),
    options: [...options.values()],
  };
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

/** The kubelet-managed /etc/hosts of a pod with its own network. */
export function managedHostsFile(pod: Pod, podIPs: string[], clusterDomain: string): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  let out =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  const aliases = pod.spec.hostAliases ?? [];
  if (aliases.length) {
    out += '\n# Entries added by HostAliases.\n';
    for (const a of aliases) out += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  }
  return out;
}
