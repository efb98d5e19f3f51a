// `k8ts images`: the process runtime's image catalogue. An image there gives a name an entrypoint,
// command, environment, working directory and file layers; any other image runs host commands.

import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { addImage, listImages, removeImage, type ImageConfig } from '../runtime/process/images.js';

export const imagesUsage = `Usage:
  k8ts images ls [--data-dir DIR]
  k8ts images add NAME [--entrypoint CMD]... [--cmd=ARG]... [--env NAME=VALUE]... [--workdir DIR]
                       [--layer HOSTDIR]... [--stop-signal SIGNAL] [--data-dir DIR]
      (repeat a flag for each word; write --cmd=-c for words that start with a dash)
  k8ts images rm NAME [--data-dir DIR]
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
    },
    allowPositionals: true,
  });
  const rootDir = join(values['data-dir'] ?? defaultDataDir, 'runtime');
  switch (verb) {
    case 'ls':
    case 'list': {
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
