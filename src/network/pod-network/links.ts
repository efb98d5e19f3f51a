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

/**
 * Removes a sandbox's veth once its network namespace ended: the kernel removes both ends with the
 * namespace, so mostly no `ip` process is needed; one runs only when the end is still there after
 * `graceMs` (the namespace outlived its processes, or the kernel is slow to clean up).
 */
export async function releaseLink(name: string, graceMs: number): Promise<void> {
  for (let waited = 0; linkExists(name) && waited < graceMs; waited += LINK_POLL_MS) {
    await new Promise((resolve) => setTimeout(resolve, LINK_POLL_MS));
  }
  await deleteLink(name);
}

const LINK_POLL_MS = 20;

/** A sandbox's link to the pod network: its veth's host end on the bridge, the pod's address and gateway. */
export interface PodLink {
  hostVeth: string;
  bridge: string;
  ip: string;
  prefixLength: number;
  gateway: string;
}

export interface PodInterface extends PodLink {
  /** A process holding the pod's network namespace. */
  netnsPid: number;
}

/** The link as the options of the native helper's `pause`, which connects the namespace it creates. */
export function linkOptions(link: PodLink): string[] {
  return [`--host-veth=${link.hostVeth}`, `--bridge=${link.bridge}`, `--address=${link.ip}/${link.prefixLength}`, `--gateway=${link.gateway}`];
}

/** Without the native helper (whose `pause` connects the sandbox itself): two runs of `ip`, one in the namespace. */
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
