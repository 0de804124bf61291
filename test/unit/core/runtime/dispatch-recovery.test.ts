import { describe, expect, it } from 'vitest';
import type { SinkSpec } from '../../../../core/config/pipeline-spec.js';
import type { DeliveryJob, WorkQueue } from '../../../../core/queue/queue.js';
import { type DispatchDeps, dispatchLoop, orphanRuns } from '../../../../core/runtime/dispatch.js';
import type { Storage, StoredEvent } from '../../../../core/storage/storage.js';

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

describe('recovery of pending events after a takeover', () => {
  it('re-submits only what no live job holds, in runs that never span a live job', () => {
    const pending = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(event);
    expect(seqs(orphanRuns(pending, [job(1, 3), job(6, 6)], 100))).toEqual([
      [4, 5],
      [7, 8, 9, 10],
    ]);
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
    const sink = {
      subscription: 's',
      index: 0,
      retry: { attempts: 3 },
      batch: { maxEvents: 100 },
      common: { ordered: false, concurrency: 4 },
    } as SinkSpec;
    const deps = { storage, queue, consumer: 'w' } as unknown as DispatchDeps;
    await dispatchLoop({ pipeline: 'p', topic: 't', sink, partition: 0 }, deps, AbortSignal.abort());
    expect(submitted).toEqual([]);
  });
});
