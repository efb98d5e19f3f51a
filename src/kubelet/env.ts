// A container's environment as the kubelet builds it: envFrom sources first, then env entries
// (with $(VAR) expansion, downward API, ConfigMap and Secret keys), then service-link variables
// not already defined. Failures carry the CreateContainerConfigError messages of Kubernetes.

import type { Container, Pod } from '../api/types.js';
import type { ConfigSource } from './types.js';
import { containerResourceValue, podFieldValue, type PodAddresses } from './downward.js';

export class ContainerConfigError extends Error {}

export interface EnvVarValue {
  name: string;
  value: string;
}

interface ServiceLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
}

export async function makeEnvironment(pod: Pod, container: Container, config: ConfigSource, addresses: PodAddresses): Promise<EnvVarValue[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const serviceEnv = await serviceEnvironment(pod, config);
  const env = new Map<string, string>();

  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef) {
      const name = source.configMapRef.name ?? '';
      const cm = await config.getConfigMap(namespace, name);
      if (!cm) {
        if (source.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(prefix + k, v);
    } else if (source.secretRef) {
      const name = source.secretRef.name ?? '';
      const secret = await config.getSecret(namespace, name);
      if (!secret) {
        if (source.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      for (const [k, v] of Object.entries(secret.data ?? {})) env.set(prefix + k, Buffer.from(v, 'base64').toString());
    }
  }

  for (const entry of container.env ?? []) {
    let value = entry.value ?? '';
    const from = entry.valueFrom;
    if (value !== '') {
      value = expand(value, (name) => env.get(name) ?? serviceEnv.get(name));
    } else if (from?.fieldRef) {
      value = podFieldValue(pod, from.fieldRef.fieldPath, addresses);
    } else if (from?.resourceFieldRef) {
      const r = from.resourceFieldRef;
      value = containerResourceValue(pod, r.containerName || container.name, r.resource, r.divisor);
    } else if (from?.configMapKeyRef) {
      const { name = '', key, optional } = from.configMapKeyRef;
      const cm = await config.getConfigMap(namespace, name);
      if (!cm) {
        if (optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      const found = cm.data?.[key];
      if (found === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
      }
      value = found;
    } else if (from?.secretKeyRef) {
      const { name = '', key, optional } = from.secretKeyRef;
      const secret = await config.getSecret(namespace, name);
      if (!secret) {
        if (optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      const found = secret.data?.[key];
      if (found === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
      }
      value = Buffer.from(found, 'base64').toString();
    }
    env.set(entry.name, value);
  }

  for (const [k, v] of serviceEnv) if (!env.has(k)) env.set(k, v);
  return [...env].map(([name, value]) => ({ name, value }));
}

/** Kubernetes' `$(VAR)` expansion: `$$` escapes, unknown references stay as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = name === '' ? undefined : lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch + next;
      i++;
    }
  }
  return out;
}

async function serviceEnvironment(pod: Pod, config: ConfigSource): Promise<Map<string, string>> {
  const namespace = pod.metadata.namespace ?? 'default';
  const own = await config.listServices(namespace);
  const cluster = namespace === 'default' ? own : await config.listServices('default');
  if (own === undefined || cluster === undefined) {
    throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
  }
  const services = new Map<string, ServiceLike>();
  const kubernetes = (cluster as ServiceLike[]).find((s) => s.metadata?.name === 'kubernetes');
  if (pod.spec.enableServiceLinks !== false) for (const s of own as ServiceLike[]) services.set(s.metadata?.name ?? '', s);
  if (kubernetes) services.set('kubernetes', kubernetes);

  const env = new Map<string, string>();
  for (const service of [...services.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const ip = service.spec?.clusterIP;
    const ports = service.spec?.ports ?? [];
    if (!ip || ip === 'None' || ports.length === 0) continue;
    const prefix = (service.metadata?.name ?? '').toUpperCase().replace(/-/g, '_');
    env.set(`${prefix}_SERVICE_HOST`, ip);
    env.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port));
    for (const p of ports) if (p.name) env.set(`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, String(p.port));
    ports.forEach((p, i) => {
      const protocol = p.protocol ?? 'TCP';
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      if (i === 0) env.set(`${prefix}_PORT`, `${protocol.toLowerCase()}://${ip}:${p.port}`);
      env.set(portPrefix, `${protocol.toLowerCase()}://${ip}:${p.port}`);
      env.set(`${portPrefix}_PROTO`, protocol.toLowerCase());
      env.set(`${portPrefix}_PORT`, String(p.port));
      env.set(`${portPrefix}_ADDR`, ip);
    });
  }
  return env;
}
