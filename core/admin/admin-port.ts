// Builds one process's admin port: every route list mounted on one server. A route group another part of the
// system adds (dead letters, tap, subscriptions) is one more line in `apiRoutes`.
import { hostname } from 'node:os';
import { packageVersion } from '../cli/package-version.js';
import type { LoadedConfig } from '../config/pipeline-spec.js';
import type { QueryOptions } from '../query/query-engine.js';
import type { Engine } from '../runtime/engine.js';
import type { AdminDeps } from './admin-deps.js';
import type { AdminRoute } from './admin-route.js';
import { type AdminServer, startAdminServer } from './admin-server.js';
import { consoleApiRoutes, consoleSessionRoute } from './console/console-api-routes.js';
import { type ConsoleFile, readConsoleFiles } from './console/console-files.js';
import { consoleFileRoutes } from './console/console-routes.js';
import { MetricHistory } from './console/metric-history.js';
import { dlqRoutes } from './dlq-routes.js';
import { registerFleetGauges } from './fleet-gauges.js';
import type { FleetSource } from './fleet-status.js';
import { healthRoutes } from './health-routes.js';
import { metricsRoute } from './metrics-route.js';
import { offsetRoutes } from './offset-routes.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { queryRoute } from './query-route.js';
import { statusRoute } from './status-route.js';
import { subscriptionRoutes } from './subscription-routes.js';
import { tapRoutes } from './tap-routes.js';

export interface AdminPortOptions {
  host: string;
  port: number;
  token?: string;
  /** Serve the web console at /console/ (`--console`). */
  console?: boolean;
}

/** What the admin port serves for the web console when it is on. */
export interface ConsoleParts {
  files: ReadonlyMap<string, ConsoleFile>;
  history: MetricHistory;
  /** Whether the API asks for a token (the page asks the user first). */
  hasToken: boolean;
}

/** Routes anyone who reaches the port may call: probes and the Prometheus scrape reveal no secret and change nothing. */
export function openRoutes(deps: AdminDeps, console?: ConsoleParts): AdminRoute[] {
  return [
    ...healthRoutes(deps),
    metricsRoute(deps.engine.metrics.registry),
    ...(console ? [...consoleFileRoutes(console.files), consoleSessionRoute(console.hasToken)] : []),
  ];
}

/** Routes behind the token. */
export function apiRoutes(
  deps: AdminDeps,
  queryOptions: () => Promise<QueryOptions>,
  console?: ConsoleParts,
): AdminRoute[] {
  const routes = [
    ...pipelineRoutes(deps),
    ...offsetRoutes(deps),
    statusRoute(deps),
    queryRoute(deps, queryOptions),
    ...dlqRoutes({ storage: deps.storage }),
    ...subscriptionRoutes({ storage: deps.storage }),
    ...(console ? consoleApiRoutes(deps, console.history) : []),
    ...tapRoutes({
      get taps() {
        return deps.engine.taps;
      },
      storage: deps.storage,
      pipelines: () => deps.config.pipelines,
      get redactor() {
        return deps.config.redactor;
      },
    }),
  ];
  return [...routes, indexRoute([...openRoutes(deps, console), ...routes])];
}

/** GET /api: the route table, so a client (or a person with curl) finds what this port serves. */
function indexRoute(routes: readonly AdminRoute[]): AdminRoute {
  const self: AdminRoute = {
    method: 'GET',
    path: '/api',
    summary: 'This list: every route of the admin port with its summary.',
    handle: async () => ({
      status: 200,
      body: { routes: [...routes, self].map(({ method, path, summary }) => ({ method, path, summary })) },
    }),
  };
  return self;
}

export interface AdminPort {
  server: AdminServer;
  close(): Promise<void>;
}

/** Starts the admin port of a process whose engine is built (and started or starting). */
export async function startAdminPort(
  deps: Omit<AdminDeps, 'fleet' | 'engine' | 'config'> & {
    /** The engine now running (a reload with --watch swaps it; its metrics registry carries over). */
    currentEngine(): Engine;
    config: LoadedConfig;
    fleet?: FleetSource;
  },
  options: AdminPortOptions,
): Promise<AdminPort> {
  const { queue, storage, logger, config, currentEngine } = deps;
  const fleet = deps.fleet ?? thisProcess({ workerId: currentEngine().workerId, queue, storage });
  const full: AdminDeps = {
    get engine() {
      return currentEngine();
    },
    config,
    queue,
    storage,
    logger,
    fleet,
  };
  registerFleetGauges(full.engine.metrics.registry, full);
  const console: ConsoleParts | undefined = options.console
    ? {
        files: await readConsoleFiles(),
        history: new MetricHistory({
          registry: () => full.engine.metrics.registry,
          storage,
          config,
          workers: () => fleet.workers(),
        }),
        hasToken: options.token !== undefined,
      }
    : undefined;
  console?.history.start();
  const stopping = new AbortController();
  let decoders: Promise<{ options: QueryOptions; close(): Promise<void> }> | undefined;
  const queryOptions = async () => {
    decoders ??= (async () => {
      const { createQueryDecoders } = await import('../query/query-decoders.js');
      const d = await createQueryDecoders(config.queryDecoders, storage, logger, stopping.signal);
      return {
        options: { deadLetterTopics: config.pipelines.map((p) => p.deadLetterTopic), decoders: d.decoders },
        close: d.close,
      };
    })();
    return (await decoders).options;
  };
  const server = await startAdminServer({
    host: options.host,
    port: options.port,
    token: options.token,
    redact: (text) => config.redactor.text(text),
    openRoutes: openRoutes(full, console),
    routes: apiRoutes(full, queryOptions, console),
    onError: (route, err) =>
      logger.warn({ route: `${route.method} ${route.path}`, err: (err as Error)?.message }, 'admin route failed'),
  });
  logger.info(
    {
      url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${server.port}`,
      token: options.token !== undefined,
      console: console !== undefined,
    },
    'admin port listening',
  );
  return {
    server,
    close: async () => {
      stopping.abort();
      console?.history.stop();
      await server.close();
      if (decoders) await (await decoders).close();
    },
  };
}

/** The fleet of an embedded run: this one process. */
function thisProcess(deps: {
  workerId: string;
  queue: AdminDeps['queue'];
  storage: AdminDeps['storage'];
}): FleetSource {
  const startedAt = Date.now();
  return {
    storage: deps.storage,
    jobCounts: () => deps.queue.counts(),
    workers: async () => [
      {
        id: deps.workerId,
        host: hostname(),
        pid: process.pid,
        startedAt,
        version: packageVersion(),
        jobs: [],
        seenAt: Date.now(),
      },
    ],
  };
}
