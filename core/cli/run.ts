// `sluice run` and `sluice worker`: load and validate the pipelines, start the engine, and stop it well.
// run: embedded when no Redis is configured, and exits 0 once every finite source is done and delivered.
// worker: joins a fleet on Redis and runs until it is told to stop.
import { hostname } from 'node:os';
import { checkAdminExposure, parseAdminAddress } from '../admin/admin-address.js';
import type { AdminPort } from '../admin/admin-port.js';
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/pipeline-spec.js';
import type { Redactor } from '../config/redactor.js';
import { ConfigError } from '../errors.js';
import type { PluginEntry } from '../registry.js';
import type { Engine } from '../runtime/engine.js';
import { createLogger } from '../runtime/logger.js';
import type { Storage } from '../storage/storage.js';
import { DEFAULT_DEAD_LETTER_FILE } from './dead-letter-file.js';
import { type Drivers, openEngine } from './drivers.js';
import { endEmbeddedRun } from './embedded-end.js';
import { EXIT } from './exit-codes.js';
import { lazyRedisFleet } from './fleet-source.js';
import { startLiveStatus } from './live-status.js';
import { reportError } from './report-error.js';
import { type Watcher, watchPipelineFiles } from './watch.js';

export interface RunOptions {
  redis?: string;
  grace: number;
  concurrency?: number;
  status?: boolean;
  logLevel?: string;
  /** worker: never exits by itself, requires Redis. */
  isWorker?: boolean;
  roles?: { ingest: boolean; deliver: boolean };
  /** Embedded: exit 0 even when stored events were still undelivered at the end (they are lost). */
  force?: boolean;
  /** Embedded: the file dead letters are appended to at the end (default {@link DEFAULT_DEAD_LETTER_FILE}). */
  deadLetterFile?: string;
  /** Serve POST /query on this port (0: any free port) of `queryHost`. */
  queryPort?: number;
  queryHost?: string;
  /** Apply changed pipeline files without a restart (see watch.ts). */
  watch?: boolean;
  /** `--admin [host:]port`: the admin port (metrics, health, admin API). */
  admin?: string;
  /** Bearer token of the admin API; required when the admin port is not loopback. */
  adminToken?: string;
  /** Serve the web console on the admin port (needs `admin`). */
  console?: boolean;
  /** `json` lines, or `pretty` lines for people (default: pretty on a terminal). */
  logFormat?: 'json' | 'pretty';
}

export async function runCommand(
  paths: string[],
  options: RunOptions,
  builtins: readonly PluginEntry[],
): Promise<number> {
  let redactor: Redactor | undefined;
  try {
    const config = await loadConfig(paths, { builtins, redisOverride: options.redis });
    redactor = config.redactor;
    if (options.isWorker && !config.redis) {
      throw new ConfigError(
        'a worker needs Redis: pass --redis redis://host:6379 or set `redis:` in the pipeline file',
        { code: 'E_WORKER_NEEDS_REDIS' },
      );
    }
    const adminAddress = options.admin === undefined ? undefined : parseAdminAddress(options.admin);
    if (adminAddress) checkAdminExposure(adminAddress, options.adminToken);
    if (options.console && !adminAddress) {
      throw new ConfigError('--console is served on the admin port: add --admin [host:]port (such as --admin 9400)', {
        code: 'E_CONSOLE_NEEDS_ADMIN',
      });
    }
    const pretty = options.logFormat ? options.logFormat === 'pretty' : Boolean(process.stderr.isTTY);
    const logger = createLogger({ level: options.logLevel, redactor, pretty });
    for (const w of config.warnings) logger.warn(formatIssue(w));
    const workerId = `${hostname()}:${process.pid}`;
    const settings = { workerId, concurrency: options.concurrency, roles: options.roles };
    const { engine, drivers } = await openEngine(config, logger, settings);
    const closeQuery = await startQueryEndpoint(options, drivers.storage, config, logger);
    const fleet = config.redis ? lazyRedisFleet(config.redis, drivers.storage, drivers.queue) : undefined;
    let admin: AdminPort | undefined;
    // A reload (--watch) swaps the engine: the admin port asks for the current one on every request.
    let current = engine;
    const startAdmin = async () => {
      if (!adminAddress) return;
      const { startAdminPort } = await import('../admin/admin-port.js');
      admin = await startAdminPort(
        {
          currentEngine: () => current,
          storage: drivers.storage,
          queue: drivers.queue,
          logger,
          config,
          fleet: fleet?.source,
        },
        { ...adminAddress, token: options.adminToken, console: options.console },
      );
    };
    const close = async () => {
      await admin?.close();
      await fleet?.close();
      await closeQuery();
      await drivers.close();
    };
    const watch: StartWatch | undefined = options.watch
      ? (running, onSwap, onFailure) =>
          watchPipelineFiles(
            { engine: running, config },
            {
              paths,
              builtins,
              redisOverride: options.redis,
              logger,
              storage: drivers.storage,
              settings,
              onSwap: (next) => {
                current = next;
                onSwap(next);
              },
              onFailure,
              graceMs: options.grace,
            },
          )
      : undefined;
    return await supervise(engine, { ...drivers, close }, { ...options, startAdmin }, logger, redactor, watch);
  } catch (err) {
    return reportError(err, redactor);
  }
}

/** The query endpoint, when asked for: loaded only then, so that runs without it never load the engine. */
async function startQueryEndpoint(
  options: RunOptions,
  storage: Storage,
  config: LoadedConfig,
  logger: ReturnType<typeof createLogger>,
): Promise<() => Promise<void>> {
  if (options.queryPort === undefined) return async () => {};
  const [{ startQueryServer }, { createQueryDecoders }] = await Promise.all([
    import('../query/query-server.js'),
    import('../query/query-decoders.js'),
  ]);
  const host = options.queryHost ?? '127.0.0.1';
  const stopping = new AbortController();
  const decoders = await createQueryDecoders(config.queryDecoders, storage, logger, stopping.signal);
  const server = await startQueryServer({
    host,
    port: options.queryPort,
    storage,
    options: { deadLetterTopics: config.pipelines.map((p) => p.deadLetterTopic), decoders: decoders.decoders },
  });
  logger.info({ url: `http://${host}:${server.port}/query` }, 'query endpoint listening');
  return async () => {
    stopping.abort();
    await server.close();
    await decoders.close();
  };
}

type StartWatch = (engine: Engine, onSwap: (engine: Engine) => void, onFailure: () => void) => Promise<Watcher>;

async function supervise(
  first: Engine,
  drivers: Drivers,
  options: RunOptions & { startAdmin(): Promise<void> },
  logger: ReturnType<typeof createLogger>,
  redactor: Redactor,
  startWatch?: StartWatch,
): Promise<number> {
  // A reload (--watch) swaps the engine: everything below reads this variable, not the first engine.
  let engine = first;
  let signals = 0;
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => {
    resolveExit = r;
  });
  const onSignal = (name: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`\nsluice: second ${name}; exiting now without draining\n`);
      process.exit(EXIT.interrupted);
    }
    logger.info(
      { signal: name, graceMs: options.grace },
      'stopping: draining in-flight batches (send the signal again to exit at once)',
    );
    resolveExit(EXIT.ok);
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  engine.onFatal(() => resolveExit(EXIT.failure));

  let stopStatus = () => {};
  let watcher: NodeJS.Timeout | undefined;
  let fileWatcher: Watcher | undefined;
  try {
    await engine.start();
    await options.startAdmin();
    logger.info(
      { mode: engine.mode, pipelines: engine.pipelines.map((p) => p.name), worker: engine.workerId },
      'sluice started',
    );
    if (engine.mode === 'embedded') {
      logger.warn(
        {},
        'embedded mode: events are stored in this process only, not durably; events not yet delivered are lost if it dies, and it exits non-zero if it stops with any; set `redis:` for durable storage',
      );
    }
    const tty = options.status ?? Boolean(process.stderr.isTTY);
    stopStatus = startLiveStatus({ engine, logger, tty });
    fileWatcher = await startWatch?.(
      engine,
      (next) => {
        engine = next;
        engine.onFatal(() => resolveExit(EXIT.failure));
        stopStatus();
        stopStatus = startLiveStatus({ engine, logger, tty });
      },
      () => resolveExit(EXIT.failure),
    );
    // A run that answers queries keeps what it stored to be asked about: it stops on a signal, not when drained.
    if (!options.isWorker && options.queryPort === undefined) {
      watcher = setInterval(async () => {
        if (await engine.isDrained().catch(() => false)) resolveExit(EXIT.ok);
      }, 50);
    }
    const code = await exit;
    await fileWatcher?.close();
    if (watcher) clearInterval(watcher);
    stopStatus();
    await engine.stop(options.grace);
    const settled =
      engine.mode === 'embedded'
        ? await endEmbeddedRun(engine, drivers.storage, {
            force: options.force === true,
            deadLetterFile: options.deadLetterFile ?? DEFAULT_DEAD_LETTER_FILE,
          })
        : EXIT.ok;
    const fatal = engine.fatalError;
    if (fatal) {
      process.stderr.write(`sluice: ${redactor.text(fatal.error.message)} [${fatal.error.code}]\n`);
      return EXIT.failure;
    }
    const t = engine.metrics.totals();
    logger.info({ stored: t.in, delivered: t.out, deadLettered: t.deadLettered }, 'sluice stopped');
    return settled === EXIT.ok ? code : settled;
  } catch (err) {
    await fileWatcher?.close();
    if (watcher) clearInterval(watcher);
    stopStatus();
    await engine.stop(0).catch(() => {});
    return reportError(err, redactor);
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
    await drivers.close().catch(() => {});
    await new Promise<void>((r) => logger.flush(() => r()));
  }
}
