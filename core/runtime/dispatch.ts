// Claims new events of one subscription partition and delivers them. One dispatcher per subscription partition
// runs across the fleet (a lease), and in the steady state it delivers each claimed batch itself, in this process,
// from the events the claim returned: one read per event and two or three Redis round trips per batch (claim, an
// optional second claim that fills the batch within maxWait, ack). A batch becomes a delivery job (which any worker
// of the fleet runs, reading its range again) only when this process has no delivery slot free, and on recovery:
// when a dispatcher starts it first re-submits what was claimed but never acknowledged and is in no live job, so a
// crash between claim and ack loses nothing, and a takeover does not deliver twice what live jobs still hold.
import type { SinkSpec } from '../config/pipeline-spec.js';
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { sleep } from '../queue/bounded-wait.js';
import { type DeliveryJob, isJobLost, type JobInfo, leaseLost, type WorkQueue } from '../queue/queue.js';
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
  /** Delivery in this process; without it every batch becomes a delivery job. */
  inline?: InlineDelivery;
  /** How often to look for pending events that nothing holds (a frozen leader's late claim), ms. Default 5000. */
  recoveryEveryMs?: number;
}

/** What a dispatcher needs to deliver the batches it claims itself. */
export interface InlineDelivery {
  /** Takes one of the process's delivery slots; undefined when all are busy. The result gives the slot back. */
  takeSlot(): (() => void) | undefined;
  /** Takes a slot as soon as one frees, waiting at most `ms`; undefined when none freed in time. */
  waitForSlot(ms: number, signal: AbortSignal): Promise<(() => void) | undefined>;
  /**
   * Runs the sink's chain and write on claimed events and acknowledges them, as a job's handler would; resolves
   * false when it left them unacknowledged (a fatal error stopped the pipeline).
   */
  deliver(job: DeliveryJob, events: StoredEvent[], info: JobInfo): Promise<boolean>;
  /** Delay before the next attempt after a retryable failure, ms. */
  backoff(attempt: number, error: unknown): number;
  /** True while the pipeline is stopped (a fatal error): its batches wait for a restart. */
  isStopped(): boolean;
}

const BLOCK_MS = 1000;
const PAUSED_CHECK_MS = 100;
const PENDING_CHECK_MS = 50;
const RECOVERY_LIMIT = 100_000;
const RECOVERY_EVERY_MS = 5000;
/** How long a claimed batch waits for a free delivery slot before it becomes a job for the fleet. */
const SLOT_WAIT_MS = 1000;

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

/**
 * Runs until `signal` aborts. `lease` is the dispatcher's lead alone (`signal` also aborts on shutdown): a batch
 * being delivered here is written only while the lead holds, since a new leader recovers every pending event.
 * `isHeld` answers the same at once, from the clock, for a sink to ask right before each request it starts.
 */
export async function dispatchLoop(
  target: DispatchTarget,
  deps: DispatchDeps,
  signal: AbortSignal,
  lease: AbortSignal = signal,
  isHeld: () => boolean = () => !lease.aborted,
): Promise<void> {
  const { storage, queue, logger, inline } = deps;
  const { sink, topic, partition } = target;
  const attempts = sink.retry.attempts;
  const maxEvents = sink.batch.maxEvents;
  const submit = (events: StoredEvent[]) => queue.submit(jobFor(target, events), { attempts });

  const isOrdered = sink.common.ordered;
  const maxPending = isOrdered ? 0 : sink.common.concurrency * maxEvents;
  /**
   * The batches being delivered here, with the job that stands for each and its lane: the batch of lane n is claimed
   * under the consumer name `<consumer>/<n>`, so a dispatcher taking over finds each unfinished batch whole.
   */
  const delivering = new Map<Promise<void>, { job: DeliveryJob; lane: number }>();
  const freeLane = () => {
    const busy = new Set([...delivering.values()].map((d) => d.lane));
    let lane = 0;
    while (busy.has(lane)) lane++;
    return lane;
  };
  /**
   * Submits, as jobs, pending events that no live job and no batch delivered here holds; true when jobs of this
   * partition are out (these or others). Live jobs first: a job that acknowledges and completes between the two
   * reads is then either among them or no longer pending. Read the other way round, its events would still look
   * pending and in no job.
   */
  const recover = async (): Promise<boolean> => {
    const live = (await queue.liveJobs(sink.subscription)).filter((j) => j.partition === partition);
    const held = [...live, ...[...delivering.values()].map((d) => d.job)];
    const pending = await storage.pending(topic, sink.subscription, partition, RECOVERY_LIMIT);
    const orphans = orphanRuns(pending, held, maxEvents);
    for (const batch of orphans) {
      // A dispatcher that lost its lead meanwhile (frozen between these reads and its submits, say) submits no
      // more: its successor recovers the same events, and once the successor's job of a range has completed, the
      // queue no longer drops a second job of it as a duplicate, so the range would be delivered again.
      if (!isHeld()) break;
      await submit(batch);
    }
    return live.length > 0 || orphans.length > 0;
  };
  // Jobs (recovered, or submitted while every slot was busy) run anywhere in the fleet: until the subscription's
  // pending count says they are done, a claim must wait for them as it would for batches delivered here.
  let hasJobsOut = await recover();
  let recoveredAt = Date.now();
  const slots = isOrdered ? 1 : Math.max(1, sink.common.concurrency);
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (deps.isPaused?.() || inline?.isStopped()) {
        await deps.waitForAck(sink.subscription, partition, PAUSED_CHECK_MS);
        continue;
      }
      if (delivering.size >= slots) {
        await Promise.race(delivering.keys());
        continue;
      }
      // A claim a previous leader sent just before it froze may reach Redis only once it wakes, after this
      // leader's recovery: those events are pending under a consumer that will not deliver them (it finds its lead
      // lost). Pending events that nothing here or in the queue holds are recovered now and then.
      if (Date.now() - recoveredAt >= (deps.recoveryEveryMs ?? RECOVERY_EVERY_MS)) {
        recoveredAt = Date.now();
        const [position] = (await storage.positions(topic, sink.subscription)).filter((p) => p.partition === partition);
        const held = [...delivering.values()].reduce((n, d) => n + d.job.count, 0);
        if (hasJobsOut || (position && position.pending > held)) hasJobsOut = (await recover()) || hasJobsOut;
      }
      if (hasJobsOut) {
        const [position] = (await storage.positions(topic, sink.subscription)).filter((p) => p.partition === partition);
        if (position && position.pending > maxPending) {
          await deps.waitForAck(sink.subscription, partition, PENDING_CHECK_MS);
          continue;
        }
        hasJobsOut = false;
      }
      // Events claimed after the lead was lost (this process frozen meanwhile) would be in no job: the new leader
      // recovered only what was pending when it took over.
      if (signal.aborted || !isHeld()) break;
      const lane = freeLane();
      const consumer = `${deps.consumer}/${lane}`;
      const events = await storage.claim(topic, sink.subscription, partition, {
        count: maxEvents,
        blockMs: BLOCK_MS,
        consumer,
      });
      if (signal.aborted && events.length === 0) break;
      if (events.length === 0) continue;
      if (events.length < maxEvents && sink.batch.maxWait > 0) {
        const more = await storage.claim(topic, sink.subscription, partition, {
          count: maxEvents - events.length,
          blockMs: sink.batch.maxWait,
          consumer,
        });
        events.push(...more);
      }
      // A claim sent before a freeze is answered within BLOCK_MS (or maxWait), before the lead can lapse: if it
      // lapsed, the new leader found these events pending and recovered them itself.
      if (signal.aborted || !isHeld()) break;
      // With every slot of the process busy, the batch waits here for one: handing it to the queue costs a dozen
      // Redis commands and a second read of its range, and another worker's wait for the job. Only a process that
      // stays saturated hands its batches over, so the fleet shares the load.
      let giveBack = inline?.takeSlot();
      if (inline && !giveBack) {
        giveBack = await inline.waitForSlot(SLOT_WAIT_MS, signal);
        if (signal.aborted || !isHeld()) {
          giveBack?.();
          break;
        }
      }
      if (!inline || !giveBack) {
        await submit(events);
        hasJobsOut = true;
      } else {
        const job = jobFor(target, events);
        const held = { signal: lease, isHeld };
        const run = deliverHere(job, events, inline, signal, held, Math.max(1, attempts), logger).finally(() => {
          giveBack();
          delivering.delete(run);
        });
        delivering.set(run, { job, lane });
        if (isOrdered) await run;
      }
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
  await Promise.allSettled(delivering.keys());
}

/**
 * Delivers a claimed batch in this process, retrying with backoff in place (a later batch of an ordered sink waits
 * meanwhile, as it would for a job). It gives up, leaving the batch pending for the next leader to recover, when
 * the lead is lost or the dispatcher stops; a batch a fatal error left unacknowledged is tried again once the
 * pipeline runs again.
 */
async function deliverHere(
  job: DeliveryJob,
  events: StoredEvent[],
  inline: InlineDelivery,
  signal: AbortSignal,
  lease: { signal: AbortSignal; isHeld(): boolean },
  maxAttempts: number,
  logger: Logger,
): Promise<void> {
  const isOwned = () => !lease.signal.aborted && lease.isHeld();
  const confirmHeld = async () => {
    if (!isOwned()) throw leaseLost(job.id);
  };
  let attempt = 1;
  while (!signal.aborted) {
    if (inline.isStopped()) {
      await sleep(PAUSED_CHECK_MS, signal);
      continue;
    }
    try {
      if (await inline.deliver(job, events, { attempt, maxAttempts, confirmHeld, isOwned })) return;
    } catch (err) {
      if (isJobLost(err)) {
        logger.warn({ batch: job.id }, toSluiceError(err).message);
        return;
      }
      await sleep(inline.backoff(attempt, err), signal);
      attempt++;
    }
  }
}

/**
 * Pending events that no live job covers (claimed by a process that died or lost its lead before it acknowledged
 * them), in runs of at most `size` that never span an event a live job holds (a job delivers every event between
 * its ends) nor two consumers: a dispatcher claims each batch under a consumer name of its own, so a run is the
 * batch that was claimed, with the same id, which a sink's idempotency key is made from. Which ones a live job
 * holds is decided by its range, never by its id.
 */
export function orphanRuns(
  pending: readonly (StoredEvent & { consumer?: string })[],
  live: readonly DeliveryJob[],
  size: number,
): StoredEvent[][] {
  const at = (id: string) => parseEventId(id).streamId;
  const ranges = live.map((j) => ({ first: at(j.firstId), last: at(j.lastId) }));
  const isHeld = (e: StoredEvent) =>
    ranges.some((r) => compareStreamIds(r.first, at(e.id)) <= 0 && compareStreamIds(at(e.id), r.last) <= 0);
  const runs: StoredEvent[][] = [];
  let run: StoredEvent[] = [];
  let consumer: string | undefined;
  for (const event of pending) {
    if (isHeld(event) || (run.length > 0 && event.consumer !== consumer)) {
      if (run.length > 0) runs.push(run);
      run = [];
      if (isHeld(event)) continue;
    }
    consumer = event.consumer;
    run.push(event);
    if (run.length === size) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
