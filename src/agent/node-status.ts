// The agent's Node: registered once with what the machine has, its status reported every 10 s
// (written when it changed, or every 5 min), and its Lease in kube-node-lease renewed every 10 s,
// as the kubelet does.

import { cpus, totalmem, release, arch } from 'node:os';
import { readFileSync, statfsSync } from 'node:fs';
import type { Node, NodeCondition } from '../api/types.js';
import { KUBERNETES_VERSION } from '../version.js';
import { ApiError } from '../api/errors.js';
import { ApiClient } from '../client/client.js';
import { rfc3339, rfc3339Micro, type Clock } from '../util/clock.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Logger } from '../util/log.js';
import type { RuntimeHealth } from './runtime-health.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

export const NODE_STATUS_UPDATE_MS = 10_000;
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
export const KUBELET_VERSION = KUBERNETES_VERSION.gitVersion;

export interface NodeIdentity {
  name: string;
  addresses: { type: string; address: string }[];
  kubeletPort: number;
  runtimeVersion: string;
  labels?: Record<string, string>;
  taints?: Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never;
  podCIDR?: string;
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function osImage(): string {
  const text = readTrimmed('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? 'Linux';
}

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[arch()] ?? arch();
}

function diskBytes(path: string): number {
  try {
    const s = statfsSync(path);
    return s.blocks * s.bsize;
  } catch {
    return 0;
  }
}

export function machineCapacity(rootDir: string): Record<string, string> {
  return {
    cpu: String(cpus().length),
    'ephemeral-storage': `${Math.floor(diskBytes(rootDir) / 1024)}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    pods: '110',
  };
}

/** `notReady`: why the node is not ready (from the runtime's health), else it is. */
function conditions(now: string, previous: NodeCondition[] | undefined, notReady: string | undefined): NodeCondition[] {
  const wanted: [string, 'True' | 'False', string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    notReady === undefined ? ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'] : ['Ready', 'False', 'KubeletNotReady', notReady],
  ];
  return wanted.map(([type, status, reason, message]) => {
    const old = previous?.find((c) => c.type === type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime! : now,
      reason,
      message,
    };
  });
}

export class NodeStatusReporter {
  private timer: { cancel(): void } | undefined;
  private leaseTimer: { cancel(): void } | undefined;
  private lastReport = 0;
  private lastStatusJson = '';
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly identity: NodeIdentity,
    private readonly clock: Clock,
    private readonly rootDir: string,
    private readonly recorder: EventRecorder,
    private readonly log: Logger,
    /** The runtime's health, which the Ready condition follows (absent: always ready). */
    private readonly health?: RuntimeHealth,
  ) {}

  /** The Ready status last written, for NodeReady / NodeNotReady events on a change. */
  private lastReady: string | undefined;

  private status(previous: Node['status'] | undefined): NonNullable<Node['status']> {
    const capacity = machineCapacity(this.rootDir);
    const now = rfc3339(this.clock.now());
    return {
      capacity,
      allocatable: { ...capacity },
      conditions: conditions(now, previous?.conditions, this.health?.notReadyMessage()),
      addresses: this.identity.addresses,
      daemonEndpoints: { kubeletEndpoint: { Port: this.identity.kubeletPort } },
      nodeInfo: {
        machineID: readTrimmed('/etc/machine-id'),
        systemUUID: readTrimmed('/sys/class/dmi/id/product_uuid') || readTrimmed('/etc/machine-id'),
        bootID: readTrimmed('/proc/sys/kernel/random/boot_id'),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: this.identity.runtimeVersion,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
  }

  /** Registers the Node (or adopts the existing one) and starts reporting. */
  async start(): Promise<void> {
    const name = this.identity.name;
    const labels = {
      'beta.kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'kubernetes.io/hostname': name,
      'kubernetes.io/os': 'linux',
      ...this.identity.labels,
    };
    let created = false;
    try {
      await this.client.create(NODES, '', {
        metadata: { name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
        spec: { ...(this.identity.podCIDR ? { podCIDR: this.identity.podCIDR, podCIDRs: [this.identity.podCIDR] } : {}), ...(this.identity.taints ? { taints: this.identity.taints } : {}) },
        status: this.status(undefined),
      });
      created = true;
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      await this.client.patch(NODES, '', name, { metadata: { labels } });
    }
    const ref = { kind: 'Node', name, uid: name, apiVersion: 'v1' };
    this.recorder.event(ref, 'Normal', 'Starting', 'Starting kubelet.');
    this.recorder.event(ref, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods');
    if (created) {
      for (const reason of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) {
        this.recorder.event(ref, 'Normal', reason, `Node ${name} status is now: ${reason}`);
      }
    }
    await this.report(true);
    await this.renewLease();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.leaseTimer?.cancel();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.report(false).finally(() => this.schedule()), NODE_STATUS_UPDATE_MS);
  }

  private async report(force: boolean): Promise<void> {
    try {
      const node = await this.client.get<Node>(NODES, '', this.identity.name);
      const status = this.status(node.status);
      const comparable = JSON.stringify({ ...status, conditions: status.conditions!.map((c) => ({ ...c, lastHeartbeatTime: '' })) });
      const due = this.clock.now() - this.lastReport >= NODE_STATUS_REPORT_MS;
      if (!force && !due && comparable === this.lastStatusJson) return;
      await this.client.patch(NODES, '', this.identity.name, { status }, 'strategic', 'status');
      this.lastStatusJson = comparable;
      this.lastReport = this.clock.now();
      const ready = status.conditions!.find((c) => c.type === 'Ready')!.status;
      if (ready !== this.lastReady) {
        const reason = ready === 'True' ? 'NodeReady' : 'NodeNotReady';
        this.recorder.event({ kind: 'Node', name: this.identity.name, uid: this.identity.name, apiVersion: 'v1' }, 'Normal', reason, `Node ${this.identity.name} status is now: ${reason}`);
        this.lastReady = ready;
      }
    } catch (err) {
      this.log.warn('node status update failed', { error: (err as Error).message });
    }
  }

  private async renewLease(): Promise<void> {
    const name = this.identity.name;
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(this.clock.now()) };
    try {
      try {
        await this.client.patch(LEASES, 'kube-node-lease', name, { spec });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
        const node = await this.client.get<Node>(NODES, '', name);
        await this.client.create(LEASES, 'kube-node-lease', {
          metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }] },
          spec,
        });
      }
    } catch (err) {
      this.log.warn('lease renewal failed', { error: (err as Error).message });
    } finally {
      if (!this.stopped) this.leaseTimer = this.clock.setTimeout(() => void this.renewLease(), LEASE_RENEW_MS);
    }
  }
}
