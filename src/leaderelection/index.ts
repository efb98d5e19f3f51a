// Leader election through coordination.k8s.io/v1 Leases, as kube-scheduler and
// kube-controller-manager do it.

export * from './elector.js';
export * from './lease-lock.js';
export * from './leader-elected.js';
