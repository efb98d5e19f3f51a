// The runtime's native helper (native/k8ts-shim.c, built at install into native/build/k8ts-shim):
// one small program holding sandboxes, supervising containers and entering them for exec, in place
// of the shell helpers and util-linux tools (which stay as the path without a C compiler).
// K8TS_SHIM names another binary, or `none` for the shell helpers.

import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessSpec } from './spec.js';

const BUILT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'native', 'build', 'k8ts-shim');

let found: { path: string | undefined } | undefined;

/** The helper's path, or undefined (once logged) when it is not there: then the shell helpers run. */
export function shimBinary(): string | undefined {
  if (found) return found.path;
  const chosen = process.env.K8TS_SHIM;
  if (chosen === 'none') {
    found = { path: undefined };
    return undefined;
  }
  const path = chosen ? resolve(chosen) : BUILT;
  try {
    accessSync(path, constants.X_OK);
    found = { path };
  } catch {
    found = { path: undefined };
    process.emitWarning(`k8ts process runtime: the native helper ${path} is missing (build it with \`npm run build:shim\`, which needs a C compiler); using the shell helpers, which make pod startup slower`);
  }
  return found.path;
}

/** How the command starts: as is, in a session of its own, or in one with its terminal as controlling terminal. */
export type SessionMode = 'inherit' | 'session' | 'terminal';

/**
 * A process spec as the helper reads it: NUL-terminated tokens (`a` word, `e` NAME=VALUE, `u` uid,
 * `g` gid, `s` session, `t` session with controlling terminal). Nothing of it is on a command line.
 */
export function specTokens(spec: ProcessSpec, argv: string[], session: SessionMode): Buffer {
  const tokens = [
    ...argv.map((word) => `a${word}`),
    ...spec.env.map(([name, value]) => `e${name}=${value}`),
    ...(spec.user ? [`u${spec.user.uid}`, `g${spec.user.gid}`] : []),
    ...(session === 'session' ? ['s'] : session === 'terminal' ? ['t'] : []),
  ];
  return Buffer.from(tokens.map((t) => `${t}\0`).join(''));
}

export const SPEC_FILE = 'spec';

export function specFileOf(containerDir: string): string {
  return join(containerDir, SPEC_FILE);
}
