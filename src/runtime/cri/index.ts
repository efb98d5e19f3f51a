export { CriRuntime, type CriRuntimeOptions } from './runtime.js';
export { CriClient, normalizeEndpoint, observeCriCalls, type CriCallRecord } from './client.js';
export { startContainerd, removeContainerdLeftovers, containerdMissingReason, findContainerd, mountsUnder, SANDBOX_IMAGE, type ContainerdOptions, type ManagedContainerd } from './containerd.js';
export { criNames, containerdLayout } from './containerd-config.js';
export { PodCgroups } from './pod-cgroups.js';
export { createCriNode, type CriNode, type CriNodeOptions, type CriPodNetwork } from './node.js';
