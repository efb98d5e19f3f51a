// What the seed-scenario tests share: a cluster on the process runtime with a pod subnet of its own
// (random per run, so that concurrent test files never collide) and the stand-in images; the
// scenario manifests (test/fixtures/scenarios/, copies of shared/scenarios/); and readers of what
// the real kubectl prints.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { testCluster, type TestCluster } from '../helpers/cluster.js';
import { installStandInImages } from '../helpers/images.js';
import { safeRemoveSync } from '../../src/util/safe-remove.js';

const scenariosDir = fileURLToPath(new URL('../../../test/fixtures/scenarios/', import.meta.url));

export function scenario(file: string): string {
  return readFileSync(join(scenariosDir, file), 'utf8');
}

export function randomPodCIDR(): string {
  return `10.${200 + Math.floor(Math.random() * 51)}.${Math.floor(Math.random() * 256)}.0/24`;
}

/** A service range of its own: the service proxy's rules match destinations, shared by every cluster. */
export function randomServiceCIDR(): string {
  return `10.${100 + Math.floor(Math.random() * 90)}.${Math.floor(Math.random() * 16) * 16}.0/20`;
}

export interface ScenarioCluster extends TestCluster {
  /** Writes a manifest into the test's scratch directory and returns its path. */
  manifest(name: string, text: string): string;
  /** A scratch directory removed after the test. */
  scratch: string;
}

export async function scenarioCluster(t: { after(fn: () => unknown): unknown }): Promise<ScenarioCluster> {
  const k = await testCluster(t, { serviceCidr: randomServiceCIDR(), node: { runtime: 'process', podCIDR: randomPodCIDR() } });
  await installStandInImages(k);
  const scratch = mkdtempSync(join(tmpdir(), 'k8ts-scenario-'));
  t.after(() => safeRemoveSync(scratch, { unmount: true }));
  return Object.assign(k, {
    scratch,
    manifest(name: string, text: string) {
      const path = join(scratch, name);
      writeFileSync(path, text);
      return path;
    },
  });
}

export interface PodRow {
  name: string;
  ready: string;
  status: string;
  /** The RESTARTS column as printed, e.g. `1 (4s ago)`. */
  restarts: string;
  age: string;
}

/** Parses rows of `kubectl get pods` (default columns, with or without headers). */
export function podRows(text: string): PodRow[] {
  const rows: PodRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+\/\d+)\s+(\S+)\s+(\d+(?: \(\S+ ago\))?)\s+(\S+)\s*$/.exec(line);
    if (m) rows.push({ name: m[1], ready: m[2], status: m[3], restarts: m[4], age: m[5] });
  }
  return rows;
}

export async function getPod(k: TestCluster, name: string, namespace = 'default'): Promise<PodRow | undefined> {
  const r = await k.kubectl(['get', 'pod', name, '-n', namespace, '--no-headers']);
  return r.code === 0 ? podRows(r.stdout)[0] : undefined;
}

export async function jsonpath(k: TestCluster, name: string, path: string, namespace = 'default'): Promise<string> {
  const r = await k.kubectl(['get', 'pod', name, '-n', namespace, '-o', `jsonpath=${path}`]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** The Events table of `kubectl describe`, as rows of [type, reason, from, message]. */
export function describeEvents(describe: string): { type: string; reason: string; age: string; from: string; message: string }[] {
  const section = describe.slice(describe.indexOf('\nEvents:'));
  const rows = [];
  for (const line of section.split('\n').slice(3)) {
    const m = /^\s+(Normal|Warning)\s+(\S+)\s+(.+?)\s{2,}(\S+)\s{2,}(.*)$/.exec(line);
    if (m) rows.push({ type: m[1], reason: m[2], age: m[3], from: m[4], message: m[5] });
  }
  return rows;
}

/** The indented block of one container in `kubectl describe pod` (from `  <name>:` to the next container). */
export function describeContainer(describe: string, name: string): string {
  const start = describe.indexOf(`\n  ${name}:\n`);
  if (start < 0) throw new Error(`no container ${name} in:\n${describe}`);
  const rest = describe.slice(start + 1);
  const end = rest.slice(1).search(/\n(  \S[^\n]*:\n|\S)/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}
