// Runs one delivery job: read the range, run the sink's chain, write, acknowledge. Failures follow the error
// kinds: record-level rejects go to the dead-letter topic and the rest go on; a retryable failure is thrown
// back to the queue for backoff until the attempts run out, then the batch is dead-lettered; a fatal one stops
// the pipeline and leaves the range unacknowledged for after the fix.
import { errorKind, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { type RecordRejection, ROUTE_HEADER } from '../plugin.js';
import { type DeliveryJob, isJobLost, type JobInfo } from '../queue/queue.js';
import type { StoredEvent } from '../storage/storage.js';
import type { LiveSink, PipelineRuntime } from './pipeline-runtime.js';
import { eventsForSink, resumeStep, runSinkChain, stepOf } from './redrive-delivery.js';
import { sinkName, tapStage } from './tap.js';

export interface DeliverHooks {
  onAck(subscription: string, partition: number): void;
  onFatal(pipeline: string, error: unknown): void;
}

/**
 * Delivers the range of `job`: the events its dispatcher claimed when given (`claimed`), else the range read again
 * from storage. Resolves true once the range is acknowledged, false when a fatal error left it pending.
 */
export async function deliver(
  pipeline: PipelineRuntime,
  job: DeliveryJob,
  info: JobInfo,
  hooks: DeliverHooks,
  claimed?: StoredEvent[],
): Promise<boolean> {
  const { storage, metrics } = pipeline.services;
  // By subscription, not index: a worker on another version of the file may list the pipeline's sinks in another
  // order, and the job's index would then name a different sink.
  const sink = pipeline.sinks.find((s) => s.spec.subscription === job.subscription);
  if (!sink || pipeline.isStopped) {
    throw toSluiceError({
      kind: 'retryable',
      code: 'E_SINK_UNAVAILABLE',
      message: `sink ${job.sink} of pipeline "${job.pipeline}" is not running here`,
    });
  }
  const stored =
    claimed ?? (await storage.read(job.topic, { partition: job.partition, fromId: job.firstId, toId: job.lastId }));
  const ids = stored.map((e) => e.id);
  const label = sink.spec.label;
  const startedAt = performance.now();
  try {
    const { events, rejected } = await runSinkChain(sink, stored);
    const routed = events.filter((e) => routeMatches(sink, e));
    // A run that stalled in the chain (a processor blocking the event loop past the job lock) may have lost the
    // job to another worker, which then writes the batch: this run must not write it too.
    await info.confirmHeld();
    const writeRejects = await writeIsolatingRecords(sink, routed);
    const letters = [
      ...rejected.map((r) => ({ event: r.event, error: r.error, component: r.component })),
      ...writeRejects.map((r) => ({ event: routed[r.index], error: r.error, component: label })),
    ].filter((r) => r.event !== undefined);
    if (letters.length > 0) await info.confirmHeld();
    for (const group of groupBy(letters, (l) => l.component)) {
      await pipeline.deadLetter(group, {
        pipeline: pipeline.name,
        component: group[0].component,
        topic: job.topic,
        attempts: info.attempt,
        subscription: job.subscription,
        step: stepOf(sink, group[0].component),
      });
    }
    const rejectedAt = new Set(writeRejects.map((r) => r.index));
    metrics.delivered(pipeline.name, sink.name, {
      accepted: routed.filter((_, i) => !rejectedAt.has(i)),
      stored,
      seconds: (performance.now() - startedAt) / 1000,
    });
    sink.health.succeeded();
    const { taps } = pipeline.services;
    const stage = tapStage.sink(sinkName(pipeline.name, job.subscription));
    if (taps.isTapped(pipeline.name, stage))
      taps.emit(
        pipeline.name,
        stage,
        routed.filter((_, i) => !rejectedAt.has(i)),
      );
  } catch (err) {
    if (isJobLost(err)) throw err;
    const kind = errorKind(err);
    metrics.failed(pipeline.name, label, err);
    if (kind === 'fatal' || kind === 'config') {
      hooks.onFatal(pipeline.name, err);
      return false;
    }
    if (kind === 'retryable' && info.attempt < info.maxAttempts) {
      metrics.retried(pipeline.name, sink.name, err, pipeline.services.redactor.text(toSluiceError(err).message));
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
      await pipeline.deadLetter(
        group.map((event) => ({ event, error: reason })),
        {
          pipeline: pipeline.name,
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
  hooks.onAck(job.subscription, job.partition);
  return true;
}

/**
 * Writes a batch. A sink that refuses the batch whole with a record error (most often a value it cannot
 * serialise) is given each event alone, so that only the events at fault are dead-lettered.
 */
async function writeIsolatingRecords(sink: LiveSink, batch: SluiceEvent[]): Promise<RecordRejection[]> {
  if (batch.length === 0) return [];
  try {
    return (await sink.instance.write(batch))?.rejected ?? [];
  } catch (err) {
    if (errorKind(err) !== 'record') throw err;
    if (batch.length === 1) return [{ index: 0, error: toSluiceError(err) }];
  }
  const rejects: RecordRejection[] = [];
  for (const [index, event] of batch.entries()) {
    for (const r of await writeIsolatingRecords(sink, [event])) rejects.push({ index, error: r.error });
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
