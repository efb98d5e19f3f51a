// The files a sandbox gives its containers: /etc/resolv.conf from the pod's DNS config (the host's
// when it has none), /etc/hosts (the kubelet's layout with the pod's address, plus the node agent's
// extra lines), /etc/hostname, and the pod's shared /dev/shm.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DnsConfig, PodSandboxConfig } from '../types.js';
import type { SandboxFiles } from './rootfs.js';

export function sandboxFiles(sandboxDir: string): SandboxFiles {
  return {
    resolvConf: join(sandboxDir, 'resolv.conf'),
    hosts: join(sandboxDir, 'hosts'),
    hostname: join(sandboxDir, 'hostname'),
    shm: join(sandboxDir, 'shm'),
  };
}

export function renderResolvConf(dns: DnsConfig): string {
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const server of dns.servers) lines.push(`nameserver ${server}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export function renderHosts(ip: string | undefined, hostname: string, extra?: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (ip) lines.push(`${ip}\t${hostname}`);
  let text = lines.join('\n') + '\n';
  if (extra) text += extra.endsWith('\n') ? extra : `${extra}\n`;
  return text;
}

export async function writeSandboxFiles(files: SandboxFiles, config: PodSandboxConfig, ip: string | undefined): Promise<void> {
  await mkdir(files.shm, { recursive: true, mode: 0o1777 });
  const hostResolv = () => readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  await writeFile(files.resolvConf, config.dnsConfig ? renderResolvConf(config.dnsConfig) : await hostResolv());
  const hosts = config.hostNetwork && !ip
    ? (await readFile('/etc/hosts', 'utf8').catch(() => renderHosts(undefined, config.hostname))) + (config.hostsFile ?? '')
    : renderHosts(ip, config.hostname, config.hostsFile);
  await writeFile(files.hosts, hosts);
  await writeFile(files.hostname, `${config.hostname}\n`);
}
