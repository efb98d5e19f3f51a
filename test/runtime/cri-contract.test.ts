// The runtime contract on cri: a containerd of the test's own, a locally built busybox image.

import { test } from 'node:test';
import { describeRuntimeContract } from './contract.js';
import { containerdUnavailable, startTestContainerd } from '../helpers/containerd.js';

const unavailable = containerdUnavailable();

if (unavailable) {
  test('cri runtime contract', (t) => t.skip(unavailable));
} else {
  describeRuntimeContract('cri', async () => {
    const h = await startTestContainerd();
    return {
      runtime: h.runtime,
      image: h.image,
      capabilities: { realProcesses: true, pidNamespace: true, network: true, mounts: true },
      cleanup: () => h.cleanup(),
    };
  });
}
