// `sluice/engine`: run pipelines from code. The same loading, validation and runtime as `sluice run` and
// `sluice worker`, with the built-in plugins, typed options, promises to await, and a clean stop. The SDK
// (`sluice`) stays free of the runtime, so a plugin that imports it loads nothing more.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { builtins } from './builtins.js';
import { openEngine } from './core/cli/drivers.js';
import { loadConfig } from './core/config/load.js';
import type { LoadedConfig } from './core/config/pipeline-spec.js';
import type { FatalError } from './core/errors.js';
import type { Logger, Plugin } from './core/plugin.js';
import type { Engine } from './core/runtime/engine.js';
import { createLogger } from './core/runtime/logger.js';

export { ConfigIssues, formatIssue } from './core/config/issues.js';
export type { LoadedConfig } from './core/config/pipeline-spec.js';
export { Engine } from './core/runtime/engine.js';
export { builtins };

/** A pipeline file's path, several paths (files or folders), or the file's content as an object. */
export type PipelineSource = string | readonly string[] | Record<string, unknown>;

export interface LoadPipelinesOptions {
  /** Variables for `${VAR}` (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Plugins beside the built-in ones (as if named under `plugins:`). */
  plugins?: readonly Plugin[];
  /** Redis URL; wins over `redis:` in the files. Absent: embedded (in memory, this process). */
  redis?: string;
  /** Folder that relative paths of an object source are resolved against (default: the working folder). */
  baseDir?: string;
}

/**
 * Loads and validates pipelines like `sluice validate`. Throws `ConfigIssues` (each issue with file, line,
 * column and key) when they are not valid; nothing is started.
 */
export function loadPipelines(source: PipelineSource, options: LoadPipelinesOptions = {}): Promise<LoadedConfig> {
  const isObject = typeof source === 'object' && !Array.isArray(source);
  const paths = isObject ? [] : typeof source === 'string' ? [source] : [...(source as readonly string[])];
  const documents = isObject
    ? [{ path: join(resolve(options.baseDir ?? '.'), '<pipelines from code>.yaml'), text: stringify(source) }]
    : undefined;
  return loadConfig(paths, {
    builtins: [...builtins, ...(options.plugins ?? [])],
    env: options.env,
    redisOverride: options.redis,
    documents,
  });
}

export interface RunOptions extends LoadPipelinesOptions {
  /** Where the runtime logs (default: JSON lines on stderr at `logLevel`). */
  logger?: Logger;
  /** Level of the default logger: trace, debug, info, warn (default), error. */
  logLevel?: string;
  /** Delivery batches run at once in this process (default 8). */
  concurrency?: number;
  /** Which halves this process runs in a fleet (default both). */
  roles?: { ingest: boolean; deliver: boolean };
  /** Name of this process in subscriptions and job locks (default host:pid). */
  workerId?: string;
}

export interface RunSummary {
  stored: number;
  delivered: number;
  deadLettered: number;
}

export interface RunningPipelines {
  readonly engine: Engine;
  /**
   * Resolves once every finite source is done and everything stored is delivered (embedded), so
   * `await running.drained()` then `stop()` runs a batch job to its end. Rejects if a pipeline stops on a fatal
   * error.
   */
  drained(): Promise<void>;
  /** Stops taking events, lets delivery finish for up to `graceMs` (default 30 s), closes the drivers. */
  stop(graceMs?: number): Promise<RunSummary>;
}

const DRAIN_CHECK_MS = 50;

/** Loads, validates and starts pipelines; see {@link RunningPipelines} for waiting and stopping. */
export async function run(source: PipelineSource, options: RunOptions = {}): Promise<RunningPipelines> {
  const config = await loadPipelines(source, options);
  const logger =
    options.logger ?? createLogger({ level: options.logLevel ?? 'warn', redactor: config.redactor, pretty: false });
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const { engine, drivers } = await openEngine(config, logger, {
    workerId,
    concurrency: options.concurrency,
    roles: options.roles,
  });
  let fatal: ((err: FatalError) => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    fatal = reject;
  });
  failed.catch(() => {});
  engine.onFatal((pipeline, error) => fatal?.(Object.assign(error, { pipeline })));
  try {
    await engine.start();
  } catch (err) {
    await engine.stop(0).catch(() => {});
    await drivers.close().catch(() => {});
    throw err;
  }

  let stopped: Promise<RunSummary> | undefined;
  return {
    engine,
    drained: () =>
      Promise.race([
        failed,
        new Promise<void>((done, reject) => {
          const check = () => {
            if (engine.fatalError || stopped) return reject(new Error('the pipelines stopped before they drained'));
            engine.isDrained().then(
              (is) => (is ? done() : setTimeout(check, DRAIN_CHECK_MS)),
              (err: unknown) => reject(err),
            );
          };
          check();
        }),
      ]),
    stop: (graceMs = 30_000) => {
      stopped ??= (async () => {
        try {
          await engine.stop(graceMs);
        } finally {
          await drivers.close().catch(() => {});
        }
        const t = engine.metrics.totals();
        return { stored: t.in, delivered: t.out, deadLettered: t.deadLettered };
      })();
      return stopped;
    },
  };
}
