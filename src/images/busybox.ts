// Root filesystems from a static busybox binary (Debian's busybox-static): /bin/busybox with a
// symlink per applet, a minimal /etc and the usual empty directories. Small, offline, and the same
// bytes for the same binary.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TarEntry } from './entries.js';
import { buildImage, type ImageRuntimeConfig, type OciImage } from './image.js';
import { buildLayer } from './layer.js';

export const DEFAULT_BUSYBOX = '/bin/busybox';

/** The applets a busybox binary provides (`busybox --list`). */
export function busyboxApplets(binary = DEFAULT_BUSYBOX): string[] {
  return execFileSync(binary, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox' && !a.includes('/'));
}

/** A busybox root filesystem; `applets` limits the symlinks (default: every applet the binary has). */
export function busyboxRootfs(opts: { binary?: string; applets?: string[] } = {}): TarEntry[] {
  const binary = opts.binary ?? DEFAULT_BUSYBOX;
  const applets = opts.applets ?? busyboxApplets(binary);
  const entries: TarEntry[] = [
    { type: 'file', path: 'bin/busybox', mode: 0o755, content: readFileSync(binary) },
    { type: 'file', path: 'etc/passwd', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n') },
    { type: 'file', path: 'etc/group', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'root', mode: 0o700 },
    ...['dev', 'proc', 'sys', 'usr/bin', 'usr/sbin', 'var', 'home'].map((path): TarEntry => ({ type: 'dir', path })),
  ];
  for (const applet of new Set(applets)) entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  return entries;
}

/** A one-layer busybox image with extra files on top. */
export function buildBusyboxImage(config: ImageRuntimeConfig = { cmd: ['sh'] }, extra: TarEntry[] = [], binary?: string): OciImage {
  const byPath = new Map<string, TarEntry>();
  for (const e of [...busyboxRootfs({ binary }), ...extra]) byPath.set(e.path.replace(/^\/+/, ''), { ...e, path: e.path.replace(/^\/+/, '') });
  return buildImage({ layers: [buildLayer([...byPath.values()])], config });
}

/** The sandbox ("pause") image's name in Kubernetes v1.33. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.10';

/**
 * A sandbox image: PID 1 that does nothing but wait (reaping orphans of a shared PID namespace)
 * and exits 0 on SIGTERM or SIGINT, as the pause program does.
 */
export function buildPauseImage(binary?: string): OciImage {
  const pause = '#!/bin/sh\ntrap "exit 0" TERM INT\nwhile :; do sleep 2147483647 & wait; done\n';
  const byPath = new Map<string, TarEntry>();
  for (const e of busyboxRootfs({ binary, applets: ['sh', 'sleep'] })) byPath.set(e.path, e);
  byPath.set('pause', { type: 'file', path: 'pause', mode: 0o755, content: Buffer.from(pause) });
  return buildImage({ layers: [buildLayer([...byPath.values()])], config: { entrypoint: ['/pause'], user: '65535:65535' } });
}
