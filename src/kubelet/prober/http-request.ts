// Builds the HTTP GET of an httpGet probe or lifecycle handler as the kubelet does: scheme, host
// (pod IP by default), named ports, canonical header names, and the default User-Agent and Accept.

import type { Container, HTTPGetAction } from '../../api/types.js';
import { KUBE_VERSION, type HttpGetRequest } from '../network.js';

/** Go's textproto.CanonicalMIMEHeaderKey: `custom-header` → `Custom-Header`. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('-');
}

/** Resolves a probe or handler port (number, numeric string or container port name). */
export function resolveContainerPort(port: number | string, container: Container): number {
  let resolved: number;
  if (typeof port === 'number') resolved = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (named) resolved = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) resolved = Number.parseInt(port, 10);
    else throw new Error(`strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  }
  if (resolved > 0 && resolved < 65536) return resolved;
  throw new Error(`invalid port number: ${resolved}`);
}

export type RequestPurpose = 'probe' | 'lifecycle';

export function buildHttpGetRequest(
  action: HTTPGetAction,
  container: Container,
  podIP: string,
  purpose: RequestPurpose,
  timeoutMs: number,
  followRedirects: boolean,
): HttpGetRequest {
  const headers: [string, string][] = (action.httpHeaders ?? []).map((h) => [canonicalHeaderKey(h.name), h.value]);
  const has = (name: string) => headers.some(([n]) => n === name);
  if (!has('User-Agent')) headers.push(['User-Agent', `kube-${purpose}/${KUBE_VERSION}`]);
  if (!has('Accept')) headers.push(['Accept', '*/*']);
  else if (headers.find(([n]) => n === 'Accept')![1] === '') {
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === 'Accept') headers.splice(i, 1);
  }
  return {
    scheme: action.scheme ?? 'HTTP',
    host: action.host || podIP,
    port: resolveContainerPort(action.port, container),
    path: action.path ?? '',
    headers,
    timeoutMs,
    followRedirects,
  };
}
