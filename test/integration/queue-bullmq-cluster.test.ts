// The work queue conformance suite against BullmqQueue on a throwaway three-master Redis Cluster: BullMQ, the
// fleet locks and the worker heartbeats all work when their keys are spread over several masters.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWorkers } from '../../core/queue/worker-registry.js';
import { RedisKeys } from '../../core/storage/keys.js';
import { deliveryJob, describeQueueConformance, waitFor } from '../conformance/queue.js';
import { bullmqFleet } from '../harness/bullmq-fleet.js';
import { deleteClusterKeysWithPrefix, RedisCluster } from '../harness/redis-cluster.js';
import { uniquePrefix } from '../harness/redis-prefix.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start(3);
}, 90_000);
afterAll(() => cluster?.stop());

const fleet = () =>
  bullmqFleet({ cluster: { nodes: cluster.nodes } }, uniquePrefix('queue-cluster'), (prefix) =>
    deleteClusterKeysWithPrefix(cluster.admin, prefix),
  );

describeQueueConformance('bullmq on redis cluster', fleet, { sharesJobs: true, takeoverMs: 2000 });

describe('BullmqQueue on a Redis Cluster', () => {
  it('runs jobs, locks and heartbeats with their keys on several masters, and closes every connection', async () => {
    const f = fleet();
    const keys = new RedisKeys(f.prefix);
    const clientsBefore = await clientCount();
    const q = f.member();
    const ran: string[] = [];
    q.consume(async (job) => void ran.push(job.id), { pipelines: ['orders-to-db'], concurrency: 2, backoff: () => 10 });
    for (let i = 0; i < 6; i++) q.schedule(`poll-${i}`, 50, async () => false);
    for (let i = 0; i < 5; i++) await q.submit(deliveryJob(i), { attempts: 1 });
    await waitFor('the jobs', () => ran.length === 5);
    await waitFor('the heartbeat', async () => (await listWorkers(cluster.admin, keys)).length === 1);
    const holders = new Set<number>();
    for (const [i, node] of cluster.admin.nodes('master').entries()) {
      if ((await node.keys(`${f.prefix}:*`)).length > 0) holders.add(i);
    }
    expect(holders.size).toBeGreaterThan(1);
    expect(await clientCount()).toBeGreaterThan(clientsBefore);
    await q.close(1000);
    await waitFor('every connection of the queue to close', async () => (await clientCount()) <= clientsBefore);
    expect(await listWorkers(cluster.admin, keys)).toEqual([]);
    await f.cleanup();
  });
});

/** Connections open on all masters, the admin client's own included. */
async function clientCount(): Promise<number> {
  let n = 0;
  for (const node of cluster.admin.nodes('master')) {
    n += String(await node.client('LIST'))
      .split('\n')
      .filter((line) => line.includes('addr=')).length;
  }
  return n;
}
