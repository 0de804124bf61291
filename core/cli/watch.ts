// `sluice run|worker --watch`: looks at the pipeline files every second and, once a change has held still for
// one look (an editor may write a file in pieces), validates it exactly as `validate` does. A valid version
// replaces the running one (see reload.ts); an invalid one is logged once, issue by issue, and the running
// version stays. With Redis, each applied version is published for the fleet (see fleet-config-version.ts).
import { configDigest } from '../config/config-digest.js';
import { ConfigIssues, formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/pipeline-spec.js';
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import type { PluginEntry } from '../registry.js';
import type { Engine } from '../runtime/engine.js';
import type { Storage } from '../storage/storage.js';
import type { EngineSettings } from './drivers.js';
import type { FleetConfigVersion } from './fleet-config-version.js';
import { type Running, swapEngine } from './reload.js';

export interface WatchOptions {
  paths: string[];
  builtins: readonly PluginEntry[];
  redisOverride?: string;
  logger: Logger;
  storage: Storage;
  settings: EngineSettings;
  graceMs: number;
  /** How often the files are looked at, ms (default 1000). */
  everyMs?: number;
  /** Called with the engine that runs after each swap. */
  onSwap(engine: Engine): void;
  /** Called when neither the changed nor the previous version could start again: nothing runs any more. */
  onFailure(): void;
}

export interface Watcher {
  /** Stops watching; waits for a reload under way to finish, so the caller stops the engine that runs. */
  close(): Promise<void>;
}

const FLEET_CHECK_EVERY = 5;

export async function watchPipelineFiles(running: Running, options: WatchOptions): Promise<Watcher> {
  const { paths, logger } = options;
  let current = running;
  // The process's logger redacts with the first configuration's redactor: later versions add their secrets to it.
  const logRedactor = running.config.redactor;
  let applied = configDigest(paths);
  let rejected: string | undefined;
  let pending: string | undefined;
  let warnedAbout: string | undefined;
  let ticks = 0;
  // Loaded only with Redis, so that embedded runs never load ioredis.
  const fleet: FleetConfigVersion | undefined = current.config.redis
    ? (await import('./fleet-config-version.js')).openFleetConfigVersion(current.config.redis)
    : undefined;
  const publish = (digest: string) =>
    fleet?.publish({ digest, worker: options.settings.workerId, at: Date.now() }).catch((err: unknown) => {
      logger.warn({ err: String(err) }, 'could not publish the pipeline-file version to Redis');
    });
  await publish(applied);
  logger.info({ paths, version: applied }, 'watching pipeline files for changes');

  const tryReload = async (digest: string) => {
    let next: LoadedConfig;
    try {
      next = await loadConfig(paths, { builtins: options.builtins, redisOverride: options.redisOverride });
      const before = current.config.redis;
      if (next.redis?.url !== before?.url || next.redis?.prefix !== before?.prefix) {
        throw new ConfigIssues([
          {
            file: paths.join(', '),
            line: 0,
            col: 0,
            path: ['redis'],
            message: 'redis changed',
            hint: 'a running process keeps its Redis; restart it to use another one',
          },
        ]);
      }
    } catch (err) {
      rejected = digest;
      const issues = err instanceof ConfigIssues ? err.issues.map(formatIssue) : [toSluiceError(err).message];
      for (const issue of issues) logger.error({ version: digest }, current.config.redactor.text(issue));
      logger.warn(
        { version: applied, rejected: digest },
        'the changed pipeline files are not valid; the running version stays',
      );
      return;
    }
    logRedactor.addAll(next.redactor);
    for (const w of next.warnings) logger.warn(formatIssue(w));
    logger.info({ from: applied, to: digest }, 'pipeline files changed: draining in-flight batches to reload');
    let swapped: Awaited<ReturnType<typeof swapEngine>>;
    try {
      swapped = await swapEngine(current, next, {
        storage: options.storage,
        logger,
        settings: options.settings,
        graceMs: options.graceMs,
      });
    } catch (err) {
      logger.error(
        { code: toSluiceError(err).code },
        `the previous version could not start again either (${current.config.redactor.text(toSluiceError(err).message)}); stopping`,
      );
      rejected = digest;
      options.onFailure();
      return;
    }
    current = swapped;
    options.onSwap(swapped.engine);
    if (!swapped.applied) {
      rejected = digest;
      return;
    }
    applied = digest;
    await publish(applied);
    logger.info(
      { version: applied, pipelines: swapped.engine.pipelines.map((p) => p.name) },
      'pipeline files reloaded',
    );
  };

  const checkFleet = async () => {
    const latest = await fleet?.latest().catch(() => undefined);
    if (!latest || latest.digest === applied || latest.worker === options.settings.workerId) return;
    if (warnedAbout === latest.digest) return;
    warnedAbout = latest.digest;
    logger.warn(
      { version: applied, fleetVersion: latest.digest, appliedBy: latest.worker, appliedAt: latest.at },
      "this worker's pipeline files differ from the version another worker applied last; give every worker the same files",
    );
  };

  let busy: Promise<void> = Promise.resolve();
  let isBusy = false;
  let isClosed = false;
  const tick = async () => {
    const digest = configDigest(paths);
    if (digest === applied || digest === rejected) pending = undefined;
    else if (digest !== pending) pending = digest;
    else {
      pending = undefined;
      await tryReload(digest);
    }
    if (++ticks % FLEET_CHECK_EVERY === 0) await checkFleet();
  };
  const timer = setInterval(() => {
    // A reload can take the whole grace period: looks that fall within it are skipped, not queued.
    if (isClosed || isBusy) return;
    isBusy = true;
    busy = tick()
      .catch((err: unknown) => {
        logger.error({ err: String(err) }, 'reloading the pipeline files failed');
      })
      .finally(() => {
        isBusy = false;
      });
  }, options.everyMs ?? 1000);

  return {
    close: async () => {
      isClosed = true;
      clearInterval(timer);
      await busy;
      fleet?.close();
    },
  };
}
