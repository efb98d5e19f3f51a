// `--node-monitor-grace-period`: how long a node may stay silent before the node lifecycle
// controller marks its conditions Unknown. With 2 s, a registered node whose Lease is never renewed
// turns Unknown within seconds (the 50 s default would take a minute); bad values are refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Node } from '../../src/api/types.js';
import { ApiClient } from '../../src/client/client.js';
import { rfc3339, rfc3339Micro } from '../../src/util/clock.js';
import { clientFromKubeconfig, startK8ts, startK8tsServer, tempDir } from '../helpers/cli.js';
import { eventually } from '../helpers/cluster.js';

const NODES = ApiClient.resourceOf('v1', 'Node');
const LEASES = ApiClient.resourceOf('coordination.k8s.io/v1', 'Lease');

test('--node-monitor-grace-period sets how soon a silent node turns Unknown', async (t) => {
  const dir = tempDir(t);
  await startK8tsServer(t, ['--data-dir', dir, '--store', 'memory', '--write-kubeconfig=false', '--node-monitor-grace-period', '2s']);
  const client = clientFromKubeconfig(join(dir, 'kubeconfig'));
  t.after(() => client.close());

  const now = new Date();
  await client.create(NODES, '', { metadata: { name: 'silent' } });
  const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(now.getTime()), lastTransitionTime: rfc3339(now.getTime()) };
  await client.patch(NODES, '', 'silent', { status: { conditions: [ready] } }, 'merge', 'status');
  await client.create(LEASES, 'kube-node-lease', { metadata: { name: 'silent' }, spec: { holderIdentity: 'silent', leaseDurationSeconds: 40, renewTime: rfc3339Micro(now.getTime()) } });

  const condition = await eventually(async () => {
    const node = await client.get<Node>(NODES, '', 'silent');
    const c = node.status?.conditions?.find((x) => x.type === 'Ready');
    return c?.status === 'Unknown' && c;
  }, 25_000);
  assert.equal(condition.reason, 'NodeStatusUnknown');
  assert.equal(condition.message, 'Kubelet stopped posting node status.');

  const bad = startK8ts(t, ['server', '--data-dir', tempDir(t), '--node-monitor-grace-period', 'soon']);
  assert.equal((await bad.exited).code, 1);
  assert.match(bad.stderr(), /^k8ts: invalid --node-monitor-grace-period soon: use a positive duration such as 50s or 2m$/m);
});
