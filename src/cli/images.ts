// `k8ts images`: the process runtime's image catalogue (an image there gives a name an entrypoint,
// command, environment, working directory and file layers; any other image runs host commands),
// and on the cri runtime the node's real images: import an archive, list what containerd has.

import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { addImage, listImages, removeImage, type ImageConfig } from '../runtime/process/images.js';

export const imagesUsage = `Usage:
  k8ts images ls [--data-dir DIR] [--runtime process|cri] [--cri-endpoint URL]
      (cri when --runtime cri or --cri-endpoint is given, or when k8ts up --runtime cri runs for DIR)
  k8ts images import FILE [--data-dir DIR] [--cri-endpoint URL]
      (a docker-archive or OCI archive, into the cri runtime's containerd)
  k8ts images add NAME [--entrypoint CMD]... [--cmd=ARG]... [--env NAME=VALUE]... [--workdir DIR]
                       [--layer HOSTDIR]... [--stop-signal SIGNAL] [--data-dir DIR]
      (repeat a flag for each word; write --cmd=-c for words that start with a dash)
  k8ts images rm NAME [--data-dir DIR]
NAME is an image reference or a glob standing for several (quote it for the shell):
  'busybox:*', '*/nginx:*', 'registry.local/**'; an exact name beats a glob, the most specific glob wins.
`;

export class ImagesUsageError extends Error {}

export async function runImages(args: string[], defaultDataDir: string, out: (line: string) => void): Promise<void> {
  const [verb, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      'data-dir': { type: 'string' },
      entrypoint: { type: 'string', multiple: true },
      cmd: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      workdir: { type: 'string' },
      layer: { type: 'string', multiple: true },
      'stop-signal': { type: 'string' },
      runtime: { type: 'string' },
      'cri-endpoint': { type: 'string' },
    },
    allowPositionals: true,
  });
  const dataDir = values['data-dir'] ?? defaultDataDir;
  const rootDir = join(dataDir, 'runtime');
  const runtime = values.runtime;
  if (runtime !== undefined && runtime !== 'process' && runtime !== 'cri') throw new ImagesUsageError(`--runtime ${runtime}: use process or cri`);
  const endpoint = values['cri-endpoint'];
  const cri = await import('./images-cri.js');
  const criMode = runtime === 'cri' || (runtime === undefined && (endpoint !== undefined || existsSync(cri.ownContainerdSocket(dataDir))));
  switch (verb) {
    case 'import': {
      const file = positionals[0];
      if (!file) throw new ImagesUsageError('images import needs an archive file');
      if (runtime === 'process') throw new ImagesUsageError('images import loads archives into the cri runtime; the process runtime takes images add');
      const names = await cri.importArchive(cri.criTarget(dataDir, endpoint), resolve(file));
      for (const name of names) out(`image ${name} imported`);
      return;
    }
    case 'ls':
    case 'list': {
      if (criMode) {
        for (const line of cri.formatImageTable(await cri.listCriImages(cri.criTarget(dataDir, endpoint)))) out(line);
        return;
      }
      const images = await listImages(rootDir);
      out(['IMAGE'.padEnd(40), 'ENTRYPOINT'].join(' '));
      for (const img of images) out([img.name.padEnd(40), JSON.stringify([...(img.entrypoint ?? []), ...(img.cmd ?? [])])].join(' '));
      return;
    }
    case 'add': {
      const name = positionals[0];
      if (!name) throw new ImagesUsageError('images add needs an image name');
      for (const e of values.env ?? []) if (!e.includes('=')) throw new ImagesUsageError(`--env ${e}: use NAME=VALUE`);
      const config: ImageConfig = {
        ...(values.entrypoint ? { entrypoint: values.entrypoint } : {}),
        ...(values.cmd ? { cmd: values.cmd } : {}),
        ...(values.env ? { env: values.env } : {}),
        ...(values.workdir ? { workingDir: values.workdir } : {}),
        ...(values.layer ? { layers: values.layer.map((l) => resolve(l)) } : {}),
        ...(values['stop-signal'] ? { stopSignal: values['stop-signal'] as NodeJS.Signals } : {}),
      };
      const record = await addImage(rootDir, name, config);
      out(`image ${record.name} added`);
      return;
    }
    case 'rm':
    case 'remove': {
      const name = positionals[0];
      if (!name) throw new ImagesUsageError('images rm needs an image name');
      if (!(await removeImage(rootDir, name))) throw new Error(`image ${name} is not in the catalogue`);
      out(`image ${name} removed`);
      return;
    }
    default:
      throw new ImagesUsageError(verb ? `unknown images command "${verb}"` : 'images needs a command');
  }
}
