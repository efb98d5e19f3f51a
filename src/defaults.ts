// Where a cluster keeps its state and what its node is called, unless told otherwise.

import { join } from 'node:path';
import { homedir, hostname } from 'node:os';

/** The default data directory: $K8TS_DATA_DIR or ~/.k8ts. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.K8TS_DATA_DIR || join(homedir(), '.k8ts');
}

/** The local node's name: the host name, lower-cased as node names must be. */
export function defaultNodeName(): string {
  return hostname().toLowerCase();
}
