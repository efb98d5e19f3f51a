// Stand-ins for the images of the seed scenarios (shared/scenarios/README.md), installed into the
// image catalogue of a cluster's process runtime. Their files are the layers under
// test/fixtures/images/; everything else a container sees is the host's (node, bash, busybox).

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { addImage, type ImageConfig } from '../../src/runtime/process/index.js';

/** test/fixtures/images/, from dist/test/helpers/. */
export const standInLayersDir = fileURLToPath(new URL('../../../test/fixtures/images/', import.meta.url));

const layer = (name: string) => join(standInLayersDir, name);
const serve = (port: number, root: string) => ['node', '/usr/local/lib/k8ts-stand-ins/serve.mjs', String(port), root];

export const standInImages: Record<string, ImageConfig> = {
  // The host's shell and tools, with busybox's nslookup, wget, httpd and nc first on PATH.
  busybox: { layers: [layer('busybox')], cmd: ['sh'] },
  'busybox:1.28': { layers: [layer('busybox')], cmd: ['sh'] },
  debian: { layers: [layer('busybox')], cmd: ['bash'] },
  // `args: [/server]`: the image has no entrypoint; /server answers /healthz 200 for 10 s, then 500.
  'mirrorgooglecontainers/liveness': { layers: [layer('liveness')] },
  // A CentOS-like image: `sh` is bash, so `$RANDOM` and `(( ))` work.
  'myos:latest': { layers: [layer('myos')], cmd: ['sh'] },
  'myos:httpd': { layers: [layer('myos-httpd'), layer('myos'), layer('common')], cmd: serve(80, '/var/www/html') },
  nginx: { layers: [layer('nginx'), layer('common')], cmd: serve(80, '/usr/share/nginx/html') },
  'geektime/sample:v2': { layers: [layer('sample')], cmd: ['sh'] },
  'geektime/tomcat:7.0': {
    layers: [layer('tomcat'), layer('common')],
    cmd: ['/root/apache-tomcat-7.0.42-v2/bin/start.sh'],
    workingDir: '/root/apache-tomcat-7.0.42-v2',
  },
};

/**
 * Adds the stand-in images to the catalogue of a cluster started with `node: { runtime: 'process' }`
 * (its runtime's root is `<dataDir>/runtime`). The runtime reads its catalogue at each pull, so this
 * may run after the cluster started.
 */
export async function installStandInImages(cluster: { dataDir: string }, names: string[] = Object.keys(standInImages)): Promise<void> {
  for (const name of names) {
    const config = standInImages[name];
    if (!config) throw new Error(`no stand-in for image ${name}`);
    await addImage(join(cluster.dataDir, 'runtime'), name, config);
  }
}
