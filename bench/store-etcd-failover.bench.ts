// Time from SIGKILLing an etcd member (the leader, or a follower) to the next create that succeeds
// through the API server, with one create in flight all along, beside the latency of a create while
// every member is up, in the same run. The member is restarted and the cluster healthy before the
// next kill.

import { performance } from 'node:perf_hooks';
import { startEtcd, type EtcdMember } from '../test/helpers/etcd.js';
import { CONFIGMAPS, configMap, readyCluster } from './lib/cluster.js';
import { ms, num, ratio, settle, size, summarize, table } from './lib/stats.js';

const KILLS = size(3, 1);

const etcd = await startEtcd(null, { members: 3 });
const rows: string[][] = [];
try {
  const cluster = await readyCluster({ store: { endpoints: etcd.endpoints } });
  try {
    let n = 0;
    const create = () => cluster.client.create(CONFIGMAPS, 'default', configMap(`failover-${n++}`));

    const steady: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await create();
      steady.push(performance.now() - t);
    }
    const baseline = summarize(steady);

    /** Kills `member` while creates run one after another; ms from the kill to the first create that succeeds after it. */
    const outage = async (member: EtcdMember): Promise<{ gap: number; failed: number }> => {
      let killedAt = 0;
      let failed = 0;
      const killing = (async () => {
        await new Promise((r) => setTimeout(r, 200));
        killedAt = performance.now();
        await member.kill();
      })();
      for (;;) {
        const started = performance.now();
        try {
          await create();
          if (killedAt > 0 && started >= killedAt) break;
        } catch {
          failed++;
        }
      }
      const gap = performance.now() - killedAt;
      await killing;
      await member.restart();
      await settle(500);
      return { gap, failed };
    };

    for (const role of ['leader', 'follower'] as const) {
      const gaps: number[] = [];
      let failed = 0;
      for (let i = 0; i < KILLS; i++) {
        const leader = await etcd.leader();
        const victim = role === 'leader' ? leader : etcd.members.find((m) => m !== leader)!;
        const r = await outage(victim);
        gaps.push(r.gap);
        failed += r.failed;
      }
      const s = summarize(gaps);
      rows.push([`${role} killed`, String(KILLS), ms(s.p50), ms(s.max), String(failed), ms(baseline.p50), ratio(s.p50, baseline.p50)]);
    }
  } finally {
    await cluster.stop();
  }
} finally {
  await etcd.stop();
}

table(
  `From SIGKILL of an etcd member (of 3) to the next successful API create, ${num(KILLS)} kills each`,
  ['member', 'kills', 'to next write (median)', 'worst', 'creates failed', 'create p50, all up', 'median / p50'],
  rows,
  [
    'One create in flight through the API all along; "to next write" counts from the kill to the end of the first',
    'create started after it that succeeded. "creates failed": errors returned meanwhile (writes whose outcome',
    'etcd could not confirm). etcd runs with its defaults: 100 ms heartbeat, 1 s election timeout.',
  ],
);
