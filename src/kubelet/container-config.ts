// Turns a container of the pod spec into the runtime's ContainerConfig: expanded command and
// arguments, environment, mounts (volumes, the managed /etc/hosts, a fresh termination-message
// file per instance), resources, and the labels and annotations that let a restarted agent
// recognise the instance.

import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Container, Pod } from '../api/types.js';
import type { ContainerConfig, Mount } from '../runtime/types.js';
import { ContainerConfigError, expand, type EnvVarValue } from './env.js';
import { containerHash, gracePeriodOf } from './pod-util.js';
import { quantityValue } from './downward.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_POD_DELETION_GRACE,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from './types.js';

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  restartCount: number;
  env: EnvVarValue[];
  /** Host path of each pod volume. */
  volumePaths: ReadonlyMap<string, string>;
  podDir: string;
  /** The managed /etc/hosts, for pods with their own network. */
  etcHostsPath?: string;
}

const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

/** The host file backing an instance's termination-message path. */
export function terminationMessageFile(podDir: string, containerName: string, restartCount: number): string {
  return join(podDir, 'containers', containerName, `termination-log-${restartCount}`);
}

export async function buildContainerConfig(input: ContainerConfigInput): Promise<ContainerConfig> {
  const { pod, container, restartCount, env } = input;
  const lookup = (name: string) => env.find((e) => e.name === name)?.value;
  const mounts = await makeMounts(input, lookup);
  const terminationMessagePath = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  if (terminationMessagePath && !mounts.some((m) => m.containerPath === terminationMessagePath)) {
    const file = terminationMessageFile(input.podDir, container.name, restartCount);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '');
    await chmod(file, 0o666);
    mounts.push({ hostPath: file, containerPath: terminationMessagePath, readonly: false });
  }
  const security = container.securityContext ?? {};
  const podSecurity = (pod.spec.securityContext ?? {}) as { runAsUser?: number; runAsGroup?: number };
  const runAsUser = security.runAsUser ?? podSecurity.runAsUser;
  const runAsGroup = security.runAsGroup ?? podSecurity.runAsGroup;
  const stopSignal = container.lifecycle?.stopSignal as NodeJS.Signals | undefined;
  return {
    name: container.name,
    attempt: restartCount,
    image: container.image ?? '',
    command: (container.command ?? []).map((c) => expand(c, lookup)),
    args: (container.args ?? []).map((a) => expand(a, lookup)),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env: env.map((e) => ({ name: e.name, value: e.value })),
    mounts,
    logPath: `${container.name}/${restartCount}.log`,
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    labels: {
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_POD_NAME]: pod.metadata.name ?? '',
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? 'default',
      [LABEL_POD_UID]: pod.metadata.uid ?? '',
    },
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: containerHash(container),
      [ANNOTATION_RESTART_COUNT]: String(restartCount),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: terminationMessagePath,
      [ANNOTATION_TERMINATION_MESSAGE_POLICY]: container.terminationMessagePolicy ?? 'File',
      [ANNOTATION_POD_DELETION_GRACE]: String(gracePeriodOf(pod)),
    },
    resources: resources(container),
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(security.privileged ? { privileged: true } : {}),
    ...(security.readOnlyRootFilesystem ? { readonlyRootfs: true } : {}),
    ...(stopSignal ? { stopSignal } : {}),
  };
}

async function makeMounts(input: ContainerConfigInput, lookup: (name: string) => string | undefined): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const vm of input.container.volumeMounts ?? []) {
    const base = input.volumePaths.get(vm.name);
    if (base === undefined) throw new ContainerConfigError(`cannot find volume "${vm.name}" to mount into container "${input.container.name}"`);
    const sub = vm.subPathExpr ? expand(vm.subPathExpr, lookup) : vm.subPath;
    let hostPath = base;
    if (sub) {
      if (sub.split('/').includes('..') || sub.startsWith('/')) {
        throw new ContainerConfigError(`failed to prepare subPath for volumeMount "${vm.name}" of container "${input.container.name}"`);
      }
      hostPath = join(base, sub);
      await mkdir(hostPath, { recursive: true }).catch(() => undefined);
    }
    mounts.push({ hostPath, containerPath: vm.mountPath, readonly: vm.readOnly === true });
  }
  if (input.etcHostsPath && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
    mounts.push({ hostPath: input.etcHostsPath, containerPath: '/etc/hosts', readonly: false });
  }
  return mounts;
}

function resources(container: Container): ContainerConfig['resources'] {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const out: NonNullable<ContainerConfig['resources']> = {};
  const cpuRequest = requests.cpu ?? limits.cpu;
  if (cpuRequest !== undefined) out.cpuShares = Math.max(2, Math.round(quantityValue(cpuRequest) * 1024));
  if (limits.cpu !== undefined) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.max(1000, Math.round(quantityValue(limits.cpu) * 100_000));
  }
  if (limits.memory !== undefined) out.memoryLimitBytes = Math.round(quantityValue(limits.memory));
  return out;
}
