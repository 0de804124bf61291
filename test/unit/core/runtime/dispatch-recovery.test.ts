import { describe, expect, it } from 'vitest';
import type { SinkSpec } from '../../../../core/config/pipeline-spec.js';
import { createEvent } from '../../../../core/event.js';
import type { DeliveryJob, WorkQueue } from '../../../../core/queue/queue.js';
import { type DispatchDeps, dispatchLoop, type InlineDelivery, orphanRuns } from '../../../../core/runtime/dispatch.js';
import { silentLogger } from '../../../../core/runtime/logger.js';
import { MemoryStorage } from '../../../../core/storage/memory.js';
import type { Storage, StoredEvent } from '../../../../core/storage/storage.js';
import { waitFor } from '../../../conformance/queue.js';

const event = (seq: number): StoredEvent => ({
  id: `0-1700000000000-${seq}`,
  partition: 0,
  key: null,
  value: seq,
  ts: 0,
  headers: {},
});
const job = (first: number, last: number): DeliveryJob => ({
  id: `s/0/${first}/${last}`,
  pipeline: 'p',
  sink: 0,
  topic: 't',
  subscription: 's',
  partition: 0,
  firstId: event(first).id,
  lastId: event(last).id,
  count: last - first + 1,
});
const seqs = (runs: StoredEvent[][]) => runs.map((r) => r.map((e) => e.value));
/** A dispatch target for the recovery cases: it only recovers (they pass a signal already aborted). */
const recovering = {
  pipeline: 'p',
  topic: 't',
  partition: 0,
  sink: {
    subscription: 's',
    index: 0,
    retry: { attempts: 3 },
    batch: { maxEvents: 100 },
    common: { ordered: false, concurrency: 4 },
  } as SinkSpec,
};

describe('recovery of pending events after a takeover', () => {
  it('re-submits only what no live job holds, in runs that never span a live job', () => {
    const pending = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(event);
    expect(seqs(orphanRuns(pending, [job(1, 3), job(6, 6)], 100))).toEqual([
      [4, 5],
      [7, 8, 9, 10],
    ]);
  });

  it('re-submits each batch whole, as it was claimed, so that it keeps its id', () => {
    const claimedBy = (consumer: string) => (seq: number) => ({ ...event(seq), consumer });
    const pending = [...[1, 2].map(claimedBy('w/0')), ...[3, 4, 5].map(claimedBy('w/1')), claimedBy('w/0')(6)];
    expect(seqs(orphanRuns(pending, [], 100))).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('keeps runs within the batch size', () => {
    expect(seqs(orphanRuns([1, 2, 3, 4, 5].map(event), [], 2))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('re-submits nothing while live jobs hold every pending event', () => {
    expect(orphanRuns([1, 2, 3].map(event), [job(0, 5)], 100)).toEqual([]);
  });

  it('re-submits nothing of a live job that acknowledges and completes while the new leader looks', async () => {
    // The job holding events 1..3 acknowledges them, and leaves the queue, right after the pending list is read.
    let isJobDone = false;
    const storage = {
      pending: async () => {
        const pending = isJobDone ? [] : [1, 2, 3].map(event);
        isJobDone = true;
        return pending;
      },
    } as unknown as Storage;
    const submitted: DeliveryJob[] = [];
    const queue = {
      liveJobs: async () => (isJobDone ? [] : [job(1, 3)]),
      submit: async (j: DeliveryJob) => void submitted.push(j),
    } as unknown as WorkQueue;
    const deps = { storage, queue, consumer: 'w' } as unknown as DispatchDeps;
    await dispatchLoop(recovering, deps, AbortSignal.abort());
    expect(submitted).toEqual([]);
  });

  it('submits no more once its lead is lost midway: the successor recovers the rest', async () => {
    const claimedBy = (consumer: string) => (seq: number) => ({ ...event(seq), consumer });
    const storage = {
      pending: async () => [...[1, 2].map(claimedBy('w/0')), ...[3, 4].map(claimedBy('w/1'))],
    } as unknown as Storage;
    const submitted: DeliveryJob[] = [];
    let isLeading = true;
    const queue = {
      liveJobs: async () => [],
      submit: async (j: DeliveryJob) => {
        submitted.push(j);
        // The process froze past its lease while this submit was on its way.
        isLeading = false;
      },
    } as unknown as WorkQueue;
    const deps = { storage, queue, consumer: 'w' } as unknown as DispatchDeps;
    const stopped = AbortSignal.abort();
    await dispatchLoop(recovering, deps, stopped, stopped, () => isLeading);
    expect(submitted.map((j) => [j.firstId, j.lastId])).toEqual([[event(1).id, event(2).id]]);
  });
});

describe('a dispatcher that delivers the batches it claims', () => {
  const sink = {
    subscription: 's',
    index: 0,
    retry: { attempts: 3 },
    batch: { maxEvents: 100, maxWait: 0 },
    common: { ordered: false, concurrency: 4 },
  } as SinkSpec;
  const target = { pipeline: 'p', topic: 't', sink, partition: 0 };

  async function start(storage: MemoryStorage, delivered: number[], jobs: DeliveryJob[], isPaused = () => false) {
    const queue = {
      liveJobs: async () => [],
      submit: async (j: DeliveryJob) => {
        jobs.push(j);
        const events = await storage.read('t', { partition: 0, fromId: j.firstId, toId: j.lastId });
        delivered.push(...events.map((e) => e.value as number));
        await storage.ack(
          't',
          's',
          0,
          events.map((e) => e.id),
        );
      },
    } as unknown as WorkQueue;
    const inline: InlineDelivery = {
      takeSlot: () => () => {},
      waitForSlot: async () => () => {},
      deliver: async (_job, events) => {
        delivered.push(...events.map((e) => e.value as number));
        await storage.ack(
          't',
          's',
          0,
          events.map((e) => e.id),
        );
        return true;
      },
      backoff: () => 10,
      isStopped: () => false,
    };
    const stop = new AbortController();
    const deps: DispatchDeps = {
      storage,
      queue,
      logger: silentLogger,
      consumer: 'leader',
      isPaused,
      waitForAck: (_s, _p, ms) => new Promise((r) => setTimeout(r, ms)),
      inline,
      recoveryEveryMs: 50,
    };
    const loop = dispatchLoop(target, deps, stop.signal);
    return async () => {
      stop.abort();
      await loop;
    };
  }

  it('delivers what it claims itself, without a job', async () => {
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: 't', partitions: 1 });
    await storage.ensureSubscription('t', 's', 'beginning');
    const delivered: number[] = [];
    const jobs: DeliveryJob[] = [];
    const stop = await start(storage, delivered, jobs);
    await storage.append(
      't',
      [1, 2, 3].map((n) => createEvent({ key: null, value: n })),
    );
    await waitFor('the batch', () => delivered.length === 3);
    await stop();
    expect(delivered).toEqual([1, 2, 3]);
    expect(jobs).toEqual([]);
  });

  it('recovers events a frozen former leader claimed after the takeover, which it will never deliver', async () => {
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: 't', partitions: 1 });
    await storage.ensureSubscription('t', 's', 'beginning');
    const delivered: number[] = [];
    const jobs: DeliveryJob[] = [];
    let isPaused = false;
    const stop = await start(storage, delivered, jobs, () => isPaused);
    await storage.append(
      't',
      [1, 2, 3].map((n) => createEvent({ key: null, value: n })),
    );
    await waitFor('the first batch', () => delivered.length === 3);
    // Held while the former leader's claim, sent before it froze, reaches storage; it then finds its lead lost.
    isPaused = true;
    await new Promise((r) => setTimeout(r, 1200));
    await storage.append(
      't',
      [4, 5].map((n) => createEvent({ key: null, value: n })),
    );
    expect(await storage.claim('t', 's', 0, { count: 100, consumer: 'frozen' })).toHaveLength(2);
    isPaused = false;
    await waitFor('the late claim to be recovered', () => delivered.length === 5, 5_000);
    expect(jobs).toHaveLength(1);
    await stop();
    expect([...new Set(delivered)].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
