// The pod network's links: one bridge holding the pods' gateway address, and a veth pair per
// sandbox whose inner end becomes the pod's eth0 (address, default route, loopback up).

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { run } from './host-command.js';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export async function ensureBridge(bridge: string, gateway: string, prefixLength: number): Promise<void> {
  if (!linkExists(bridge)) {
    await run('ip', ['-batch', '-'], [
      `link add name ${bridge} type bridge`,
      `addr add ${gateway}/${prefixLength} dev ${bridge}`,
      `link set ${bridge} up`,
      '',
    ].join('\n'));
  }
  // Host ports reached from 127.0.0.1 are DNATed out of the bridge: allow loopback sources there.
  await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
}

export async function deleteLink(name: string): Promise<void> {
  if (linkExists(name)) await run('ip', ['link', 'del', name]).catch(() => undefined);
}

export interface PodInterface {
  hostVeth: string;
  bridge: string;
  /** A process holding the pod's network namespace. */
  netnsPid: number;
  ip: string;
  prefixLength: number;
  gateway: string;
}

export async function connectPod(pod: PodInterface): Promise<void> {
  if (!linkExists(pod.hostVeth)) {
    await run('ip', ['-batch', '-'], [
      `link add ${pod.hostVeth} type veth peer name eth0 netns ${pod.netnsPid}`,
      `link set ${pod.hostVeth} master ${pod.bridge}`,
      `link set ${pod.hostVeth} type bridge_slave hairpin on`,
      `link set ${pod.hostVeth} up`,
      '',
    ].join('\n'));
  }
  await run('nsenter', [`--net=/proc/${pod.netnsPid}/ns/net`, 'ip', '-batch', '-'], [
    'link set lo up',
    `addr replace ${pod.ip}/${pod.prefixLength} dev eth0`,
    'link set eth0 up',
    `route replace default via ${pod.gateway} dev eth0`,
    '',
  ].join('\n'));
}
