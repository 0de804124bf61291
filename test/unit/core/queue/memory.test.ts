import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../../core/queue/memory.js';
import { deliveryJob, recordingLogger, waitFor } from '../../../conformance/queue.js';

describe('MemoryQueue', () => {
  it('starts a submitted job well within the 5 ms latency budget of embedded mode (p99)', async () => {
    const q = new MemoryQueue({ logger: recordingLogger().logger });
    const latencies: number[] = [];
    const submittedAt = new Map<string, bigint>();
    q.consume(
      async (job) => {
        latencies.push(Number(process.hrtime.bigint() - submittedAt.get(job.id)!) / 1e6);
      },
      { pipelines: ['orders-to-db'], concurrency: 4, backoff: () => 10 },
    );
    for (let i = 0; i < 2000; i++) {
      const job = deliveryJob(i);
      submittedAt.set(job.id, process.hrtime.bigint());
      await q.submit(job, { attempts: 1 });
      // Spread the submits over event-loop turns, as ingest does.
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor('all jobs', () => latencies.length === 2000);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length * 0.99)]).toBeLessThan(5);
    await q.close(0);
  });

  it('refuses a submit after close with a message that says why', async () => {
    const q = new MemoryQueue();
    await q.close(0);
    await expect(q.submit(deliveryJob(1), { attempts: 1 })).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_QUEUE_CLOSED',
    });
  });

  it('refuses a second schedule under the same name', () => {
    const q = new MemoryQueue();
    q.schedule('poll', 1000, async () => false);
    expect(() => q.schedule('poll', 1000, async () => false)).toThrow(/already scheduled/);
    return q.close(0);
  });
});
