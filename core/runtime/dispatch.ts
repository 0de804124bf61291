// Turns new events of one subscription partition into delivery jobs that name a range (never one job per
// event). One dispatcher per subscription partition runs across the fleet; when it starts, it first re-submits
// what was handed out but never acknowledged and is in no live job, so a crash between claim and submit loses
// nothing, and a takeover does not deliver twice what live jobs still hold.
import type { SinkSpec } from '../config/pipeline-spec.js';
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { isLeaseHeld } from '../queue/lease.js';
import type { DeliveryJob, WorkQueue } from '../queue/queue.js';
import { compareStreamIds, parseEventId, type Storage, type StoredEvent } from '../storage/storage.js';

export interface DispatchTarget {
  pipeline: string;
  topic: string;
  sink: SinkSpec;
  partition: number;
}

export interface DispatchDeps {
  storage: Storage;
  queue: WorkQueue;
  logger: Logger;
  consumer: string;
  /** True while the sink is paused: no new work is handed out (default: never paused). */
  isPaused?(): boolean;
  /** Resolves when a batch of this subscription partition was acknowledged here, or after `ms`. */
  waitForAck(subscription: string, partition: number, ms: number): Promise<void>;
}

const BLOCK_MS = 1000;
const PAUSED_CHECK_MS = 100;
const RECOVERY_LIMIT = 100_000;

/**
 * The job of a range. Its id names both ends: a recovery batch often starts where a live job's range starts, and
 * an id of the first event alone would make the queue drop the recovery batch as a duplicate of that job, which
 * then acknowledges only its own, shorter range. Equal ids now mean equal ranges, so a dropped duplicate is
 * always covered by the job that holds the id.
 */
export function jobFor(target: DispatchTarget, events: readonly StoredEvent[]): DeliveryJob {
  const first = events[0].id;
  const last = events[events.length - 1].id;
  return {
    id: `${target.sink.subscription}/${target.partition}/${first}/${last}`,
    pipeline: target.pipeline,
    sink: target.sink.index,
    topic: target.topic,
    subscription: target.sink.subscription,
    partition: target.partition,
    firstId: first,
    lastId: last,
    count: events.length,
  };
}

export async function dispatchLoop(target: DispatchTarget, deps: DispatchDeps, signal: AbortSignal): Promise<void> {
  const { storage, queue, logger } = deps;
  const { sink, topic, partition } = target;
  const attempts = sink.retry.attempts;
  const maxEvents = sink.batch.maxEvents;
  const submit = (events: StoredEvent[]) => queue.submit(jobFor(target, events), { attempts });

  // Live jobs first: a job that acknowledges and completes between the two reads is then either among them or
  // no longer pending. Read the other way round, its events would still look pending and in no job.
  const live = (await queue.liveJobs(sink.subscription)).filter((j) => j.partition === partition);
  const pending = await storage.pending(topic, sink.subscription, partition, RECOVERY_LIMIT);
  for (const batch of orphanRuns(pending, live, maxEvents)) await submit(batch);
  const maxPending = sink.common.ordered ? 0 : sink.common.concurrency * maxEvents;
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (deps.isPaused?.()) {
        await deps.waitForAck(sink.subscription, partition, PAUSED_CHECK_MS);
        continue;
      }
      const [position] = (await storage.positions(topic, sink.subscription)).filter((p) => p.partition === partition);
      if (position && position.pending > maxPending) {
        await deps.waitForAck(sink.subscription, partition, 50);
        continue;
      }
      // Events claimed after the lead was lost (this process frozen meanwhile) would be in no job: the new leader
      // recovered only what was pending when it took over.
      if (!(await isLeaseHeld(signal))) break;
      const events = await storage.claim(topic, sink.subscription, partition, {
        count: maxEvents,
        blockMs: BLOCK_MS,
        consumer: deps.consumer,
      });
      if (signal.aborted && events.length === 0) break;
      if (events.length === 0) continue;
      if (events.length < maxEvents && sink.batch.maxWait > 0) {
        const more = await storage.claim(topic, sink.subscription, partition, {
          count: maxEvents - events.length,
          blockMs: sink.batch.maxWait,
          consumer: deps.consumer,
        });
        events.push(...more);
      }
      // A claim sent before a freeze is answered within BLOCK_MS (or maxWait), before the lead can lapse: if it
      // lapsed, the new leader found these events pending and recovered them itself.
      if (!(await isLeaseHeld(signal))) break;
      await submit(events);
      failures = 0;
    } catch (err) {
      if (signal.aborted) break;
      failures++;
      const delay = Math.min(100 * 2 ** failures, 5000);
      logger.warn(
        { subscription: sink.subscription, partition, err: toSluiceError(err) },
        `dispatch failed; retrying in ${delay} ms`,
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Pending events that no live job covers (claimed by a process that died before it submitted them), in runs of at
 * most `size` that never span an event a live job holds: a job delivers every event between its ends. Which ones a
 * live job holds is decided by its range, never by its id.
 */
export function orphanRuns(
  pending: readonly StoredEvent[],
  live: readonly DeliveryJob[],
  size: number,
): StoredEvent[][] {
  const at = (id: string) => parseEventId(id).streamId;
  const ranges = live.map((j) => ({ first: at(j.firstId), last: at(j.lastId) }));
  const isHeld = (e: StoredEvent) =>
    ranges.some((r) => compareStreamIds(r.first, at(e.id)) <= 0 && compareStreamIds(at(e.id), r.last) <= 0);
  const runs: StoredEvent[][] = [];
  let run: StoredEvent[] = [];
  for (const event of pending) {
    if (isHeld(event)) {
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    run.push(event);
    if (run.length === size) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
