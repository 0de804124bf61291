// The outbound path of one sink: run the sink's chain on a batch, route, write, dead-letter what was rejected,
// acknowledge. The batch is the events its dispatcher claimed, or (a job run on recovery or by another worker) its
// range read again. Failures follow the error kinds: record-level rejects go to the dead-letter topic and the rest
// go on; a retryable failure is thrown back for backoff until the attempts run out, then the batch is
// dead-lettered; a fatal one stops the pipeline and leaves the range unacknowledged for after the fix.
import { errorKind, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { type RecordRejection, ROUTE_HEADER, type WriteContext } from '../plugin.js';
import { type DeliveryJob, isJobLost, type JobInfo } from '../queue/queue.js';
import type { Storage, StoredEvent } from '../storage/storage.js';
import type { DeadLetterOrigin } from './dead-letter.js';
import type { Metrics } from './metrics.js';
import type { LiveSink } from './pipeline-runtime.js';
import { eventsForSink, resumeStep, runSinkChain, stepOf } from './redrive-delivery.js';
import { sinkName, type Taps, tapStage } from './tap.js';

/** What the outbound path of a sink uses of its pipeline. */
export interface OutboundContext {
  pipeline: string;
  storage: Storage;
  metrics: Metrics;
  taps: Taps;
  redact(text: string): string;
  deadLetter(
    records: Array<{ event: SluiceEvent; error: unknown }>,
    origin: DeadLetterOrigin,
    isLogged?: boolean,
  ): Promise<void>;
  /** Stops the pipeline on a fatal error. */
  fail(error: unknown): void;
  /** A batch of `subscription` in `partition` was acknowledged. */
  acked(subscription: string, partition: number): void;
}

export class SinkOutbound {
  constructor(
    readonly sink: LiveSink,
    private readonly context: OutboundContext,
  ) {}

  /**
   * Delivers the range of `job`: the events its dispatcher claimed when given (`claimed`), else the range read
   * again from storage. Resolves true once the range is acknowledged, false when a fatal error left it pending.
   */
  async deliver(job: DeliveryJob, info: JobInfo, claimed?: StoredEvent[]): Promise<boolean> {
    const { sink, context } = this;
    const { storage, metrics, pipeline } = context;
    const stored =
      claimed ?? (await storage.read(job.topic, { partition: job.partition, fromId: job.firstId, toId: job.lastId }));
    const ids = stored.map((e) => e.id);
    const label = sink.spec.label;
    const startedAt = performance.now();
    try {
      const { events, rejected } = await runSinkChain(sink, stored);
      const routed = events.filter((e) => routeMatches(sink, e));
      // A run that stalled in the chain (a processor blocking the event loop past the job lock or the dispatcher's
      // lease) may have lost the batch to another worker, which then writes it: this run must not write it too.
      await info.confirmHeld();
      const writeRejects = await writeIsolatingRecords(sink, routed, { isOwned: info.isOwned, deliveryId: job.id });
      const letters = [
        ...rejected.map((r) => ({ event: r.event, error: r.error, component: r.component })),
        ...writeRejects.map((r) => ({ event: routed[r.index], error: r.error, component: label })),
      ].filter((r) => r.event !== undefined);
      if (letters.length > 0) await info.confirmHeld();
      for (const group of groupBy(letters, (l) => l.component)) {
        await context.deadLetter(group, {
          pipeline,
          component: group[0].component,
          topic: job.topic,
          attempts: info.attempt,
          subscription: job.subscription,
          step: stepOf(sink, group[0].component),
        });
      }
      const rejectedAt = new Set(writeRejects.map((r) => r.index));
      const accepted = rejectedAt.size === 0 ? routed : routed.filter((_, i) => !rejectedAt.has(i));
      metrics.delivered(pipeline, sink.name, { accepted, stored, seconds: (performance.now() - startedAt) / 1000 });
      sink.health.succeeded();
      const stage = tapStage.sink(sinkName(pipeline, job.subscription));
      if (context.taps.isTapped(pipeline, stage)) context.taps.emit(pipeline, stage, accepted);
    } catch (err) {
      if (isJobLost(err)) throw err;
      // A write a sink broke off because the batch may be another worker's now: confirm it, and leave the batch to
      // that worker if so (no retry, no dead letter here).
      if (!info.isOwned()) await info.confirmHeld();
      const kind = errorKind(err);
      metrics.failed(pipeline, label, err);
      if (kind === 'fatal' || kind === 'config') {
        context.fail(err);
        return false;
      }
      if (kind === 'retryable' && info.attempt < info.maxAttempts) {
        metrics.retried(pipeline, sink.name, err, context.redact(toSluiceError(err).message));
        sink.health.failed(err);
        throw err;
      }
      const reason =
        kind === 'retryable'
          ? toSluiceError({
              ...toSluiceError(err).toJSON(),
              message: `gave up after ${info.attempt} attempts: ${toSluiceError(err).message}`,
            })
          : err;
      await info.confirmHeld();
      for (const group of groupBy(eventsForSink(sink, stored), (e) => String(resumeStep(e)))) {
        await context.deadLetter(
          group.map((event) => ({ event, error: reason })),
          {
            pipeline,
            component: label,
            topic: job.topic,
            attempts: info.attempt,
            subscription: job.subscription,
            step: resumeStep(group[0]),
          },
          false,
        );
      }
      sink.health.failed(reason, stored.length);
    }
    if (ids.length > 0) await storage.ack(job.topic, job.subscription, job.partition, ids);
    context.acked(job.subscription, job.partition);
    return true;
  }
}

/**
 * Writes a batch. A sink that refuses the batch whole with a record error (most often a value it cannot
 * serialise) is given each event alone, so that only the events at fault are dead-lettered.
 */
async function writeIsolatingRecords(
  sink: LiveSink,
  batch: SluiceEvent[],
  context: WriteContext,
): Promise<RecordRejection[]> {
  if (batch.length === 0) return [];
  try {
    return (await sink.instance.write(batch, context))?.rejected ?? [];
  } catch (err) {
    if (errorKind(err) !== 'record') throw err;
    if (batch.length === 1) return [{ index: 0, error: toSluiceError(err) }];
  }
  const rejects: RecordRejection[] = [];
  for (const [index, event] of batch.entries()) {
    // Alone, the event is at index 0 of its write: its own delivery id keeps `${deliveryId}#0` from naming another.
    const alone = {
      ...context,
      deliveryId: context.deliveryId === undefined ? undefined : `${context.deliveryId}/${index}`,
    };
    for (const r of await writeIsolatingRecords(sink, [event], alone)) rejects.push({ index, error: r.error });
  }
  return rejects;
}

function routeMatches(sink: LiveSink, event: SluiceEvent): boolean {
  const route = event.headers[ROUTE_HEADER];
  return sink.spec.common.route === undefined ? route === undefined : route === sink.spec.common.route;
}

function groupBy<T>(items: T[], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}
