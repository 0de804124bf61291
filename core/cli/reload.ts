// Applies a new version of the pipeline files to a running process by swapping the whole engine: the running
// engine stops its sources, finishes its in-flight batches (embedded: delivers everything stored) and closes;
// then an engine of the new version starts on the same storage, so subscriptions and source checkpoints carry
// over and nothing is lost or delivered twice. Swapping the whole engine rather than only the changed
// pipelines keeps the engine free of per-pipeline lifecycles; the price is a pause of every pipeline.
import type { LoadedConfig } from '../config/pipeline-spec.js';
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { Engine } from '../runtime/engine.js';
import type { Storage } from '../storage/storage.js';
import { type EngineSettings, openQueue } from './drivers.js';

export interface Running {
  engine: Engine;
  config: LoadedConfig;
}

export interface SwapOptions {
  storage: Storage;
  logger: Logger;
  settings: EngineSettings;
  /** How long the running engine may take to finish its in-flight batches, ms. */
  graceMs: number;
}

/**
 * Stops `current` and starts `next` in its place. If the new version cannot start (a plugin throws while it is
 * created), the previous version starts again and the error is logged; `applied` says which runs.
 */
export async function swapEngine(
  current: Running,
  next: LoadedConfig,
  options: SwapOptions,
): Promise<Running & { applied: boolean }> {
  await current.engine.stop(options.graceMs);
  try {
    return { engine: await startEngine(next, current.engine, options), config: next, applied: true };
  } catch (err) {
    options.logger.error(
      { code: toSluiceError(err).code },
      `the changed pipeline files could not start (${current.config.redactor.text(toSluiceError(err).message)}); the previous version runs again`,
    );
    return {
      engine: await startEngine(current.config, current.engine, options),
      config: current.config,
      applied: false,
    };
  }
}

async function startEngine(config: LoadedConfig, previous: Engine, options: SwapOptions): Promise<Engine> {
  const { storage, logger, settings } = options;
  const queue = await openQueue(config.redis, logger, settings.workerId);
  const engine = new Engine({ config, storage, queue, logger, ...settings, metrics: previous.metrics });
  try {
    await engine.start();
  } catch (err) {
    await engine.stop(0).catch(() => {});
    throw err;
  }
  return engine;
}
