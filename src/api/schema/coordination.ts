// coordination.k8s.io/v1: Lease.
import { MicroTime, topLevel } from './meta.js';
import { int32, ref, string, struct } from './dsl.js';

export const LeaseSpec = struct('io.k8s.api.coordination.v1.LeaseSpec', 'The state of a lease.', {
  acquireTime: ref(MicroTime, 'When the current holder acquired the lease.'),
  holderIdentity: string('Identity of the current holder.'),
  leaseDurationSeconds: int32('Seconds candidates wait, from the last renewal, before taking the lease over.'),
  leaseTransitions: int32('How many times the lease changed holder.'),
  preferredHolder: string('Holder the lease should go to next.'),
  renewTime: ref(MicroTime, 'When the holder last renewed the lease.'),
  strategy: string('How a holder is chosen, for coordinated leader election.'),
});

export const Lease = topLevel('coordination.k8s.io', 'v1', 'Lease', 'A lease, used for leader election and node heartbeats.', {
  spec: ref(LeaseSpec, 'State of the lease.'),
});
