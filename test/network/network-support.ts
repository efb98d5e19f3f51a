// What the end-to-end network tests share: a cluster on the process runtime with a random pod
// subnet and a service range of its own (the proxy's rules match destinations, so concurrent
// clusters must not share ClusterIPs), and a `busybox` stand-in image whose nslookup, wget, httpd
// and nc are busybox's applets (the host has GNU wget and no nslookup).

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { addImage } from '../../src/runtime/process/index.js';

export function randomPodCIDR(): string {
  return `10.${200 + Math.floor(Math.random() * 51)}.${Math.floor(Math.random() * 256)}.0/24`;
}

export function randomServiceCIDR(): string {
  return `10.${100 + Math.floor(Math.random() * 90)}.${Math.floor(Math.random() * 16) * 16}.0/20`;
}

export const BUSYBOX_APPLETS = ['nslookup', 'wget', 'httpd', 'nc'];

export async function networkCluster(t: { after(fn: () => unknown): unknown }): Promise<TestCluster & { serviceCidr: string }> {
  const serviceCidr = randomServiceCIDR();
  const k = await testCluster(t, { serviceCidr, node: { runtime: 'process', podCIDR: randomPodCIDR() } });
  const layer = mkdtempSync(join(tmpdir(), 'k8ts-busybox-layer-'));
  t.after(() => rmSync(layer, { recursive: true, force: true }));
  mkdirSync(join(layer, 'usr/local/bin'), { recursive: true });
  for (const applet of BUSYBOX_APPLETS) {
    const path = join(layer, 'usr/local/bin', applet);
    writeFileSync(path, `#!/bin/sh\nexec /usr/bin/busybox ${applet} "$@"\n`);
    chmodSync(path, 0o755);
  }
  for (const image of ['busybox', 'busybox:1.28']) {
    await addImage(join(k.dataDir, 'runtime'), image, { layers: [layer], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
  }
  return Object.assign(k, { serviceCidr });
}
