// Summarizes a V8 CPU profile (`node --cpu-prof`): self time by function, and self time charged to
// the nearest project frame on the stack (a function in dist/src), by function and by source
// directory, and the total time (self and callees) of project functions. `node dist/bench/lib/cpu-profile.js <file.cpuprofile> [--top=30]`.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PROJECT = '/dist/src/';

function where(frame: ProfileNode['callFrame']): string {
  const url = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const i = url.indexOf(PROJECT);
  const short = i >= 0 ? url.slice(i + PROJECT.length - 4) : url.replace(/^node:/, 'node:');
  return `${frame.functionName || '(anonymous)'} ${short}${short ? `:${frame.lineNumber + 1}` : ''}`;
}

function directory(frame: ProfileNode['callFrame']): string {
  const i = frame.url.indexOf(PROJECT);
  if (i < 0) return '(outside the project)';
  const rel = frame.url.slice(i + PROJECT.length);
  return `src/${rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : ''}`;
}

export function summarizeProfile(profile: Profile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt);
    total += dt;
  }
  const idle = new Set(['(idle)', '(program)']);
  const bySelf = new Map<string, number>();
  const byProject = new Map<string, number>();
  const byDir = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    if (idle.has(node.callFrame.functionName)) continue;
    busy += us;
    const key = where(node.callFrame);
    bySelf.set(key, (bySelf.get(key) ?? 0) + us);
    let at: ProfileNode | undefined = node;
    while (at && !at.callFrame.url.includes(PROJECT)) at = byId.get(parent.get(at.id) ?? -1);
    const project = at ? where(at.callFrame) : node.callFrame.functionName === '(garbage collector)' ? '(garbage collector)' : '(no project frame)';
    byProject.set(project, (byProject.get(project) ?? 0) + us);
    const dir = at ? directory(at.callFrame) : project;
    byDir.set(dir, (byDir.get(dir) ?? 0) + us);
    const seen = new Set<string>();
    for (let up: ProfileNode | undefined = node; up; up = byId.get(parent.get(up.id) ?? -1)) {
      if (!up.callFrame.url.includes(PROJECT)) continue;
      const k = where(up.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const lines: string[] = [`total ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms`];
  const section = (title: string, m: Map<string, number>, n: number) => {
    lines.push('', title);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) lines.push(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  };
  section('self time', bySelf, top);
  section('self time under the nearest project frame', byProject, top);
  section('by source directory of that frame', byDir, 20);
  section('total time (self and callees) of project functions', inclusive, top);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
  for (const file of process.argv.slice(2).filter((a) => !a.startsWith('--'))) {
    console.log(`# ${file}`);
    console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, top));
  }
}
