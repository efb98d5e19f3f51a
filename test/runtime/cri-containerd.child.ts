// Starts a containerd of ours in the given directory, prints its pid, and waits to be killed: a
// k8ts killed outright, for the adoption test.

import { startContainerd } from '../../src/runtime/cri/index.js';

const [dir, clusterId, podCIDR] = process.argv.slice(2);
const containerd = await startContainerd({ dir: dir!, clusterId: clusterId!, podCIDR: podCIDR! });
process.stdout.write(`${containerd.pid}\n`);
setInterval(() => {}, 1000);
