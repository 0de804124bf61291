// Runs the `query:` stages of the pipelines: each is one exclusive loop of the fleet (one evaluator per query
// at a time), which reads new events and emits closed windows every `query.every`.
import type { PipelineSpec } from '../config/pipeline-spec.js';
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { ContinuousQuery } from '../query/continuous-query.js';
import { sleep } from '../queue/bounded-wait.js';
import type { WorkQueue } from '../queue/queue.js';
import type { Storage } from '../storage/storage.js';

export function startContinuousQueries(
  pipelines: readonly PipelineSpec[],
  storage: Storage,
  queue: WorkQueue,
  logger: Logger,
): void {
  for (const spec of pipelines) {
    const q = spec.query;
    if (!q) continue;
    const query = new ContinuousQuery(
      {
        name: spec.name,
        input: q.input,
        output: spec.topic,
        sql: q.sql,
        window: { sizeMs: q.window, hopMs: q.hop ?? q.window },
        graceMs: q.grace,
        deadLetterTopic: spec.deadLetterTopic,
      },
      storage,
      logger,
    );
    queue.exclusive(`query:${spec.name}`, async (signal) => {
      while (!signal.aborted) {
        try {
          const r = await query.tick(signal);
          if (r.windowsClosed > 0) logger.debug({ pipeline: spec.name, ...r }, 'query windows emitted');
        } catch (err) {
          // A bad statement or a storage hiccup: said once per attempt, retried, never silently dropped.
          logger.error({ pipeline: spec.name, err: toSluiceError(err).message }, 'continuous query failed; retrying');
        }
        await sleep(q.every, signal);
      }
    });
  }
}
