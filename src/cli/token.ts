// `k8ts token create|list|delete`: bootstrap tokens as kubeadm manages them, as Secrets in
// kube-system, through the API of the data directory's kubeconfig (or --kubeconfig).

import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { ApiClient } from '../client/client.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ApiError } from '../api/errors.js';
import { parseGoDuration, shortHumanDuration } from '../api/duration.js';
import { publicKeyPin } from '../agent/join.js';
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_PREFIX,
  BOOTSTRAP_TOKEN_TYPE,
  TOKEN_ID_PATTERN,
  TOKEN_PATTERN,
  parseBootstrapSecret,
  type BootstrapToken,
  type SecretObject,
} from '../apiserver/auth/bootstrap-tokens.js';

const SECRETS = ApiClient.resourceOf('v1', 'Secret');
const DEFAULT_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export const tokenUsage = `Usage: k8ts token <create|list|delete> [flags]

  create [TOKEN]            create a bootstrap token (random unless TOKEN, [a-z0-9]{6}.[a-z0-9]{16}) and print it
      --ttl DURATION        how long the token lives (default 24h; 0: forever)
      --description TEXT    what the token is for
      --usages LIST         signing,authentication (default both)
      --groups LIST         extra groups to authenticate as (default ${DEFAULT_GROUP})
      --print-join-command  print the \`k8ts agent\` command that joins a node with the token
  list                      list the bootstrap tokens
  delete ID|TOKEN...        delete bootstrap tokens

Flags: --kubeconfig FILE (default: the data directory's), --data-dir DIR
`;

export class TokenUsageError extends Error {}

/** A Go duration (`24h`, `1h30m`, `90s`, `0`) in milliseconds. */
export function parseTokenTtl(text: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined) throw new TokenUsageError(`invalid duration "${text}"`);
  return ms;
}

function randomString(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function tokenSecret(token: { id: string; secret: string; expires?: number; description?: string; usages: string[]; groups: string[] }): SecretObject {
  const data: Record<string, string> = { 'token-id': token.id, 'token-secret': token.secret };
  if (token.description) data.description = token.description;
  if (token.expires !== undefined) data.expiration = rfc3339(token.expires);
  for (const u of token.usages) data[`usage-bootstrap-${u}`] = 'true';
  if (token.groups.length) data['auth-extra-groups'] = token.groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BOOTSTRAP_TOKEN_PREFIX + token.id, namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** Rows as kubeadm's tabwriter lays them out (minimum width 10, padding 3). */
export function tokenTable(tokens: BootstrapToken[], now: number): string {
  const rows = [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS']];
  for (const t of tokens) {
    rows.push([
      `${t.id}.${t.secret}`,
      t.expires === undefined ? '<forever>' : shortHumanDuration(t.expires - now),
      t.expires === undefined ? '<never>' : rfc3339(t.expires),
      t.usages.join(',') || '<none>',
      t.description || '<none>',
      t.extraGroups.join(',') || '<none>',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(10, ...rows.map((r) => r[c]!.length + 3)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('')).join('\n') + '\n';
}

export async function runToken(args: string[], defaultDataDir: string, out: (text: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      kubeconfig: { type: 'string' },
      'data-dir': { type: 'string' },
      ttl: { type: 'string', default: '24h' },
      description: { type: 'string' },
      usages: { type: 'string', default: 'signing,authentication' },
      groups: { type: 'string', default: DEFAULT_GROUP },
      'print-join-command': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (sub !== 'create' && sub !== 'list' && sub !== 'delete') throw new TokenUsageError(sub ? `unknown token command "${sub}"` : 'a token command is required');
  // Arguments are checked before the cluster is asked anything.
  const request = sub === 'create' ? createRequest(positionals, values) : undefined;
  const ids = sub === 'delete' ? tokenIds(positionals) : [];
  const kubeconfig = values.kubeconfig ?? join(values['data-dir'] ?? defaultDataDir, 'kubeconfig');
  const config = loadKubeconfig(kubeconfig);
  const client = new ApiClient({ ...config, userAgent: 'k8ts-token' });
  try {
    if (request) await create(client, request, config, out);
    else if (sub === 'list') await list(client, out);
    else await remove(client, ids, out);
  } finally {
    client.close();
  }
}

interface CreateRequest {
  id: string;
  secret: string;
  ttl: number;
  description?: string;
  usages: string[];
  groups: string[];
  printJoinCommand: boolean;
}

function createRequest(positionals: string[], values: { ttl: string; description?: string; usages: string; groups: string; 'print-join-command': boolean }): CreateRequest {
  if (positionals.length > 1) throw new TokenUsageError('create takes at most one token');
  let id = randomString(6);
  let secret = randomString(16);
  if (positionals[0] !== undefined) {
    const m = TOKEN_PATTERN.exec(positionals[0]);
    if (!m) throw new TokenUsageError(`the bootstrap token "${positionals[0]}" was not of the form "${TOKEN_PATTERN.source}"`);
    [, id, secret] = m as unknown as [string, string, string];
  }
  const ttl = parseTokenTtl(values.ttl);
  const usages = values.usages.split(',').map((u) => u.trim()).filter(Boolean);
  for (const u of usages) if (u !== 'signing' && u !== 'authentication') throw new TokenUsageError(`invalid bootstrap token usage string: ${u}, valid usage options: signing, authentication`);
  const groups = values.groups.split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of groups) {
    if (!/^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/.test(g)) throw new TokenUsageError(`bootstrap group "${g}" is invalid (must match ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$)`);
  }
  return { id, secret, ttl, ...(values.description ? { description: values.description } : {}), usages, groups, printJoinCommand: values['print-join-command'] };
}

async function create(client: ApiClient, request: CreateRequest, config: { server: string; ca: string }, out: (text: string) => void): Promise<void> {
  const { id, secret, ttl, description, usages, groups } = request;
  const secretObject = tokenSecret({ id, secret, ...(ttl > 0 ? { expires: Date.now() + ttl } : {}), ...(description ? { description } : {}), usages, groups });
  try {
    await client.create(SECRETS, BOOTSTRAP_TOKEN_NAMESPACE, secretObject);
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') throw new TokenUsageError(`a token with id "${id}" already exists`);
    throw err;
  }
  if (!request.printJoinCommand) {
    out(`${id}.${secret}\n`);
    return;
  }
  out(`k8ts agent --server ${config.server} --token ${id}.${secret} --discovery-token-ca-cert-hash ${publicKeyPin(config.ca)}\n`);
}

async function list(client: ApiClient, out: (text: string) => void): Promise<void> {
  const secrets = await client.list<SecretObject>(SECRETS, BOOTSTRAP_TOKEN_NAMESPACE, { fieldSelector: `type=${BOOTSTRAP_TOKEN_TYPE}` });
  const tokens = secrets.items.map(parseBootstrapSecret).filter((t): t is BootstrapToken => !!t).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  out(tokenTable(tokens, Date.now()));
}

/** The ids of the tokens `delete` names (an id, or a whole token). */
function tokenIds(given: string[]): string[] {
  if (!given.length) throw new TokenUsageError('missing subcommand; "token delete" is missing token of form ["^([a-z0-9]{6})$" or "^([a-z0-9]{6})\\.([a-z0-9]{16})$"]');
  return given.map((g) => {
    const id = TOKEN_ID_PATTERN.test(g) ? g : TOKEN_PATTERN.exec(g)?.[1];
    if (!id) throw new TokenUsageError(`given token didn't match pattern "^([a-z0-9]{6})$" or "^([a-z0-9]{6})\\.([a-z0-9]{16})$"`);
    return id;
  });
}

async function remove(client: ApiClient, ids: string[], out: (text: string) => void): Promise<void> {
  for (const id of ids) {
    try {
      await client.delete(SECRETS, BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_PREFIX + id);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) throw new TokenUsageError(`bootstrap token "${id}" not found`);
      throw err;
    }
    out(`bootstrap token "${id}" deleted\n`);
  }
}
