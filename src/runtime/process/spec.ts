// What a container runs: the command line (image entrypoint and cmd, replaced by the container's
// command and args as Kubernetes defines), its exact environment and working directory, its user.

import { readFileSync } from 'node:fs';
import { RuntimeError, type ContainerConfig } from '../types.js';
import type { ImageRecord } from './images.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessSpec {
  argv: string[];
  env: [string, string][];
  workingDir: string;
  user?: { uid: number; gid: number };
  stopSignal: NodeJS.Signals;
}

export function processSpec(image: ImageRecord, config: ContainerConfig, hostname: string): ProcessSpec {
  const entrypoint = config.command.length > 0 ? config.command : image.entrypoint ?? [];
  const cmd = config.args.length > 0 ? config.args : config.command.length > 0 ? [] : image.cmd ?? [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw new RuntimeError('InvalidArgument', `failed to generate container "${config.name}" spec: no command specified`);
  }
  const env = new Map<string, string>();
  for (const entry of image.env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  env.set('HOSTNAME', hostname);
  for (const { name, value } of config.env) env.set(name, value);
  const uid = config.runAsUser;
  const user = uid === undefined && config.runAsGroup === undefined ? undefined : {
    uid: uid ?? 0,
    gid: config.runAsGroup ?? passwdEntry(uid ?? 0)?.gid ?? 0,
  };
  // runc gives the process a HOME when it has none: the user's, or "/".
  if (!env.has('HOME')) env.set('HOME', passwdEntry(user?.uid ?? 0)?.home ?? '/');
  return {
    argv,
    env: [...env],
    workingDir: config.workingDir || image.workingDir || '/',
    user,
    stopSignal: config.stopSignal ?? image.stopSignal ?? 'SIGTERM',
  };
}

/**
 * A shell line setting the positional parameters to the final exec of a container's command: its
 * environment alone (`env -i`), then its user. Evaluated by a helper shell, so that the environment
 * never appears on a command line (where every user of the host could read it) nor in a shell's
 * own environment (which would add PWD and drop names that are not shell identifiers).
 * `then` is appended verbatim (e.g. `"$@"` for the command of an exec). Newlines in words are
 * written as `$NL`, which the evaluating shell defines, so that the whole is one line.
 */
export function execScript(spec: ProcessSpec, argv: string[], then = ''): string {
  const user = spec.user
    ? ['/usr/bin/setpriv', `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, '--clear-groups', '--']
    : [];
  const words = ['/usr/bin/env', '-i', '--', ...spec.env.map(([k, v]) => `${k}=${v}`), ...user, ...argv];
  return `set -- ${words.map(shellQuote).join(' ')}${then ? ` ${then}` : ''}\n`;
}

export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`).replace(/\n/g, `'"$NL"'`)}'`;
}

/** Shell text defining NL, for scripts that evaluate execScript lines. */
export const DEFINE_NL = "NL='\n'";

export function envValue(spec: ProcessSpec, name: string): string | undefined {
  return spec.env.find(([k]) => k === name)?.[1];
}

function passwdEntry(uid: number): { gid: number; home: string } | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 6 && Number(fields[2]) === uid && fields[2] !== '') return { gid: Number(fields[3]), home: fields[5] };
  }
  return undefined;
}
