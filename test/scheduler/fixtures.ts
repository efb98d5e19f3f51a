// Builders for scheduler tests: nodes and pods as the API returns them, and a cache + framework
// wired like the scheduler's, without any API.

import type { Node, Pod, Taint, Toleration } from '../../src/api/types.js';
import { labelSelectorFromSpec, type LabelSelector } from '../../src/api/selectors.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { CycleState, Diagnosis, type Framework, type Handle } from '../../src/scheduler/framework.js';
import type { NodeInfo } from '../../src/scheduler/nodeinfo.js';
import { Nominator } from '../../src/scheduler/nominator.js';
import { newPodInfo, type PodInfo } from '../../src/scheduler/podinfo.js';
import { defaultProfile } from '../../src/scheduler/profile.js';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown';
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeOptions = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', message: 'ready' }],
      ...(o.images ? { images: o.images } : {}),
    },
  };
}

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  tolerations?: Toleration[];
  affinity?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  hostPorts?: { hostPort: number; hostIP?: string; protocol?: 'TCP' | 'UDP' }[];
  topologySpreadConstraints?: unknown[];
  preemptionPolicy?: string;
  startTime?: string;
  image?: string;
  schedulerName?: string;
}

export function makePod(name: string, o: PodOptions = {}): Pod {
  const requests: Record<string, string> = { ...o.requests };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, labels: o.labels ?? {} },
    spec: {
      containers: [
        {
          name: 'c',
          image: o.image ?? 'busybox',
          ...(Object.keys(requests).length ? { resources: { requests } } : {}),
          ...(o.hostPorts ? { ports: o.hostPorts.map((p) => ({ containerPort: p.hostPort, ...p })) } : {}),
        },
      ],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.topologySpreadConstraints ? { topologySpreadConstraints: o.topologySpreadConstraints } : {}),
      ...(o.preemptionPolicy ? { preemptionPolicy: o.preemptionPolicy } : {}),
      ...(o.schedulerName ? { schedulerName: o.schedulerName } : {}),
    },
    status: { phase: o.nodeName ? 'Running' : 'Pending', ...(o.startTime ? { startTime: o.startTime } : {}) },
  };
}

export interface World {
  cache: SchedulerCache;
  handle: Handle;
  framework: Framework;
  nominator: Nominator;
  namespaceLabels: Map<string, Record<string, string>>;
  /** Runs PreFilter and Filter over every node: the feasible node names and the diagnosis. */
  filter(pod: Pod): { feasible: string[]; diagnosis: Diagnosis; state: CycleState; pi: PodInfo; nodes: NodeInfo[] };
  /** Filter then score: total weighted score per feasible node. */
  scores(pod: Pod): Map<string, number>;
}

export function makeWorld(nodes: Node[], pods: Pod[] = [], namespaceLabels: Record<string, Record<string, string>> = {}, defaultSelector: LabelSelector = labelSelectorFromSpec({})): World {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  for (const p of pods) cache.setPod(p);
  const nsLabels = new Map(Object.entries(namespaceLabels));
  const handle: Handle = {
    nodeInfos: () => cache.nodeInfos(),
    nodeInfo: (n) => cache.nodeInfo(n),
    namespaceLabels: (ns) => nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns },
    namespaces: () => [...nsLabels].map(([name, labels]) => ({ name, labels })),
    imageState: (n) => cache.imageState(n),
    defaultSelector: () => defaultSelector,
  };
  const framework = defaultProfile(handle);
  const nominator = new Nominator();
  const world: World = {
    cache,
    handle,
    framework,
    nominator,
    namespaceLabels: nsLabels,
    filter(pod) {
      const pi = newPodInfo(pod);
      const state = new CycleState();
      const diagnosis = new Diagnosis();
      const all = cache.nodeInfos();
      const pre = framework.runPreFilters(state, pi, all);
      if (pre.status) {
        diagnosis.absent = pre.status;
        diagnosis.preFilterMsg = pre.status.reasons.join(', ');
        return { feasible: [], diagnosis, state, pi, nodes: [] };
      }
      const feasible: string[] = [];
      const nodesOut: NodeInfo[] = [];
      for (const n of all) {
        if (pre.nodeNames && !pre.nodeNames.has(n.name)) continue;
        const s = framework.runFiltersWithNominatedPods(state, pi, n, nominator);
        if (s) diagnosis.record(n.name, s);
        else {
          feasible.push(n.name);
          nodesOut.push(n);
        }
      }
      return { feasible, diagnosis, state, pi, nodes: nodesOut };
    },
    scores(pod) {
      const { state, pi, nodes: feasible } = world.filter(pod);
      return new Map(framework.runScores(state, pi, feasible).map((s) => [s.name, s.score]));
    },
  };
  return world;
}
