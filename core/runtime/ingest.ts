// Runs a pipeline's source: a poll source as a scheduled task (one poller across the fleet, its checkpoint
// stored with the events it produced), a listen source on every process that ingests.
import { errorKind, toSluiceError } from '../errors.js';
import { isPollSource, type Logger, type PollSource } from '../plugin.js';
import type { WorkQueue } from '../queue/queue.js';
import type { PipelineRuntime } from './pipeline-runtime.js';

/**
 * Starts the pipeline's source. `onDone` is told when a finite source will produce nothing more; a fatal error
 * stops the pipeline (PipelineRuntime.fail).
 */
export function startIngest(
  pipeline: PipelineRuntime,
  queue: WorkQueue,
  logger: Logger,
  onDone: (pipeline: string) => void,
  signal: AbortSignal,
): void {
  const source = pipeline.source;
  if (!source) return;
  if (isPollSource(source)) {
    const poller: Poller = { pipeline, logger, onDone, doneUntil: 0 };
    // The pipeline's current source at each poll: a restart replaces the instance.
    queue.schedule(`poll:${pipeline.name}`, source.intervalMs, (taskSignal, isHeld) =>
      // Two checks rather than AbortSignal.any: a poll source may poll a hundred times a second, and each combined
      // signal is a weak reference the collector must process.
      pollOnce(poller, (pipeline.source as PollSource) ?? source, () => taskSignal.aborted || signal.aborted, isHeld),
    );
    return;
  }
  const emit = (events: Parameters<typeof pipeline.ingest>[0], options?: Parameters<typeof pipeline.ingest>[1]) =>
    pipeline.ingest(events, options);
  source
    .listen(emit)
    .then(() => onDone(pipeline.name))
    .catch((err) => {
      if (signal.aborted) return;
      if (errorKind(err) !== 'fatal' && errorKind(err) !== 'config')
        logger.error({ pipeline: pipeline.name, err: toSluiceError(err) }, 'source stopped with an error');
      pipeline.fail(err);
    });
}

// A finished source is asked again now and then, not at every interval: its checkpoint may be reset
// (`sluice offsets --reset-source`) and then it has work again.
const DONE_RECHECK_MS = 5000;

/** The poll loop of one pipeline's source. */
interface Poller {
  pipeline: PipelineRuntime;
  logger: Logger;
  onDone(pipeline: string): void;
  /** Until when a finished source is not asked again (ms since the epoch). */
  doneUntil: number;
}

async function pollOnce(
  poller: Poller,
  source: PollSource,
  isStopping: () => boolean,
  isHeld: () => boolean,
): Promise<boolean> {
  const { pipeline, logger } = poller;
  if (isStopping() || pipeline.isStopped || pipeline.isPaused || Date.now() < poller.doneUntil) return false;
  const { storage } = pipeline.services;
  try {
    const checkpoint = await storage.getCheckpoint(pipeline.spec.topic, pipeline.name);
    const result = await source.poll(checkpoint);
    const moved = JSON.stringify(result.checkpoint) !== JSON.stringify(checkpoint);
    // A poller frozen past its lease must not store what the poller that took over produces from the same
    // checkpoint. The lease says so before the append; the append itself stores nothing unless the checkpoint is
    // still the one this poll began at, which also holds for a freeze between here and the append's write.
    if (isStopping() || !isHeld()) return false;
    if (result.events.length > 0 || moved) {
      const stored = await pipeline.ingest(result.events, {
        checkpoint: result.checkpoint ?? null,
        checkpointWas: { value: checkpoint },
      });
      if (stored.checkpointMoved) {
        logger.warn(
          { pipeline: pipeline.name, events: result.events.length },
          'poll not stored: the source checkpoint moved while it ran (another worker polled from it, or `sluice offsets` set it); polling again from the stored one',
        );
        return false;
      }
    }
    if (result.done) {
      poller.doneUntil = Date.now() + DONE_RECHECK_MS;
      poller.onDone(pipeline.name);
      return false;
    }
    return result.hasMore === true;
  } catch (err) {
    const kind = errorKind(err);
    if (kind === 'fatal' || kind === 'config') {
      pipeline.fail(err);
      return false;
    }
    logger.warn({ pipeline: pipeline.name, err: toSluiceError(err) }, 'poll failed; retrying at the next interval');
    return false;
  }
}
