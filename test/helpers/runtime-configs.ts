// Builders for the runtime's PodSandboxConfig and ContainerConfig: a plain pod sandbox and container
// with every required field at its default, so a test spells out only what it is about.

import type { ContainerConfig, PodSandboxConfig } from '../../src/runtime/types.js';

/** A pod sandbox named `name` in `default`, not sharing any host namespace, with no ports. */
export function sandboxConfig(name: string, logDirectory: string, overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    podUid: name,
    name,
    namespace: 'default',
    attempt: 0,
    hostname: name,
    logDirectory,
    portMappings: [],
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    shareProcessNamespace: false,
    labels: {},
    annotations: {},
    ...overrides,
  };
}

/** A container `name` of busybox running `command`, logging to `name/0.log`, without stdin or tty. */
export function containerConfig(name: string, command: string[], overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name,
    attempt: 0,
    image: 'busybox',
    command,
    args: [],
    env: [],
    mounts: [],
    logPath: `${name}/0.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    labels: {},
    annotations: {},
    ...overrides,
  };
}
