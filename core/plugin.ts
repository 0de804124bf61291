// The public SDK: how sources, sinks and processors are declared. Built-in connectors and plugins use only
// this module, `event.ts` and `errors.ts`, exactly as a third-party plugin would.
import { z } from 'zod';
import { FatalError, RecordError, type SluiceError, toSluiceError } from './errors.js';
import type { SluiceEvent } from './event.js';

/** Header a `route` processor sets; a sink with `route: <name>` receives only events routed to that name. */
export const ROUTE_HEADER = 'sluice-route';

/** Major version of this SDK. A plugin built for another major is refused at load time. */
export const SDK_VERSION = 1;

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** Small key/value state shared by a plugin's instances (in-process when embedded, Redis in a fleet). */
export interface StateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets the key only when it is absent; true when it was set. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export interface PluginCounter {
  inc(value?: number, labels?: Record<string, string>): void;
}

export interface PluginGauge {
  set(value: number, labels?: Record<string, string>): void;
}

export interface PluginHistogram {
  observe(value: number, labels?: Record<string, string>): void;
}

/**
 * A plugin's own Prometheus metrics, served at `/metrics` on the admin port as `sluice_plugin_<plugin>_<name>`
 * with `pipeline` and `component` labels set for it. Names and extra labels are snake_case; asking twice for one
 * name returns the same series. Label values must never carry secrets.
 */
export interface PluginMetrics {
  counter(name: string, help: string, labels?: readonly string[]): PluginCounter;
  gauge(name: string, help: string, labels?: readonly string[]): PluginGauge;
  histogram(name: string, help: string, options?: { labels?: readonly string[]; buckets?: number[] }): PluginHistogram;
}

export interface PluginContext {
  /** Name of the pipeline the component belongs to. */
  readonly pipeline: string;
  /** Where the component sits in the pipeline, for messages: `sinks[0] (http)`. */
  readonly component: string;
  readonly logger: Logger;
  /** Aborted on shutdown: long waits should listen to it. */
  readonly signal: AbortSignal;
  /** State scoped to this component (keys are prefixed for you). */
  readonly state: StateStore;
  /** `embedded` (one process, in-memory storage) or `fleet` (Redis storage, BullMQ workers). */
  readonly mode: 'embedded' | 'fleet';
  /** Folder of the pipeline file, for resolving relative paths in config. */
  readonly baseDir: string;
  /** Counters, gauges and histograms of the plugin's own, beside the engine's metrics. */
  readonly metrics: PluginMetrics;
}

// ---- sources ----

export interface PollResult {
  events: SluiceEvent[];
  /** Where the next poll starts; stored atomically with the events. JSON-serialisable. */
  checkpoint: unknown;
  /** True when more is ready now: the runtime polls again at once instead of waiting for the interval. */
  hasMore?: boolean;
  /**
   * The source has nothing more, ever: a finite source. The events of this result are still stored.
   * `sluice run` exits once every finite source is done and its events are delivered.
   */
  done?: boolean;
}

export interface EmitOptions {
  /** Stores the events once for this key (a retried HTTP request, say) within the idempotency window. */
  idempotencyKey?: string;
  /**
   * How long to wait for room when the topic is over its `maxLag` before failing with a retryable error coded
   * `E_BACKPRESSURE` (with `retryAfterMs`). Default: wait as long as it takes. A server that should answer
   * 429 at once passes 0; with 0, storage that cannot be reached (Redis down) also fails at once, with a
   * retryable error, instead of holding the call until it is back.
   */
  maxWaitMs?: number;
}

export interface EmitResult {
  /** Ids of the stored events (the first store's ids when `duplicate`). */
  ids: string[];
  /** True when the idempotency key was seen before and nothing new was stored. */
  duplicate: boolean;
}

/** Resolves once the events are durably stored; awaiting it is the source's backpressure. */
export type Emit = (events: SluiceEvent[], options?: EmitOptions) => Promise<EmitResult>;

export interface PollSource {
  /** Called with the last stored checkpoint (undefined the first time). One poll at a time across the fleet. */
  poll(checkpoint: unknown): Promise<PollResult>;
  /** Time between polls, ms. */
  readonly intervalMs: number;
  close?(): Promise<void>;
}

export interface ListenSource {
  /** Runs until `ctx.signal` is aborted; a push source runs on every worker. */
  listen(emit: Emit): Promise<void>;
  /** Stops taking new events (on shutdown, before delivery drains); `listen` should then resolve. */
  close?(): Promise<void>;
}

export type SourceInstance = PollSource | ListenSource;

// ---- sinks ----

export interface RecordRejection {
  /** Index of the record in the batch given to `write`. */
  index: number;
  error: SluiceError | Error;
}

export interface WriteResult {
  /** Records that were not written and will not be by retrying: they go to the dead-letter topic. */
  rejected?: RecordRejection[];
}

/** What a sink's write may ask of the run that delivers the batch. */
export interface WriteContext {
  /**
   * False once another worker of the fleet may have been given this batch (this process stalled past its lock,
   * an event loop blocked, say). Answered at once, from the clock. A sink that starts several side effects in one
   * write, or one that may wait (a request queued for a free connection), asks it right before each and starts
   * none once it is false, failing the write: the other worker delivers the batch.
   */
  isOwned(): boolean;
  /**
   * Names the stored range this write delivers: the same each time the range is delivered again (a retry, a
   * recovery by another worker), when the chain makes the same events of it. An event a processor made has no
   * `id`; `${deliveryId}#${index}` names it as stably as an id would (for an idempotency key, say).
   */
  readonly deliveryId?: string;
}

export interface SinkInstance {
  /** Writes a batch. Throw RetryableError to retry the whole batch, FatalError to stop the pipeline. */
  write(batch: readonly SluiceEvent[], context?: WriteContext): Promise<WriteResult | void>;
  close?(): Promise<void>;
}

// ---- processors ----

export interface ProcessResult {
  events: SluiceEvent[];
  /** Records that could not be processed: they go to the dead-letter topic with their reason. */
  rejected?: Array<{ event: SluiceEvent; error: SluiceError | Error }>;
}

export interface ProcessorInstance {
  /** Turns a batch into a batch. Must not change its input. */
  process(batch: readonly SluiceEvent[]): ProcessResult | SluiceEvent[] | Promise<ProcessResult | SluiceEvent[]>;
  close?(): Promise<void>;
}

// ---- declarations ----

type Awaitable<T> = T | Promise<T>;

/** A problem that a plugin's start-up `check` found in its config. */
export interface ConfigProblem {
  /** The offending key inside the component's config, e.g. `['module']` or `['routes', 1, 'when']`. */
  path: ReadonlyArray<string | number>;
  /** What is wrong, naming the value: `module "./enrich.ts" was not found at /srv/enrich.ts`. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** What a start-up check may use: no logger, no state, no network. */
export interface CheckContext {
  readonly pipeline: string;
  /** Where the component sits, for messages: `sinks[0] (http)`. */
  readonly component: string;
  /** Folder of the pipeline file, for resolving relative paths in config. */
  readonly baseDir: string;
}

/** Checks that need a connection, run by `sluice validate --connect` (never by `run`, which connects anyway). */
export interface ConnectContext extends CheckContext {
  /** Aborted when the check takes too long. */
  readonly signal: AbortSignal;
}

interface DefinitionBase<S extends z.ZodType> {
  /** The `type:` that selects it in YAML. */
  name: string;
  /** One line for `sluice plugins` and the docs. */
  summary: string;
  /** Config schema; every field should have `.describe()` text, secrets marked with `secret()`. */
  config: S;
  /**
   * Start-up checks beyond the schema that need no network: a module or file exists, a schema compiles. Run by
   * `sluice validate` and by `run` before anything starts; each problem is reported at its key, exit 2.
   */
  check?(config: z.output<S>, ctx: CheckContext): Awaitable<ConfigProblem[] | undefined>;
  /**
   * Checks that need the destination or origin itself (it answers, the credentials work, the table exists),
   * run by `sluice validate --connect`. Must release whatever it opens.
   */
  checkConnection?(config: z.output<S>, ctx: ConnectContext): Awaitable<ConfigProblem[] | undefined>;
}

export interface SourceDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  create(config: z.output<S>, ctx: PluginContext): Awaitable<SourceInstance>;
}
export interface SinkDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  create(config: z.output<S>, ctx: PluginContext): Awaitable<SinkInstance>;
}
export interface ProcessorDefinition<S extends z.ZodType = z.ZodType> extends DefinitionBase<S> {
  /** False when batches must go through one at a time (a stateful processor). Default true. */
  parallelSafe?: boolean;
  create(config: z.output<S>, ctx: PluginContext): Awaitable<ProcessorInstance>;
}

export type PluginKind = 'source' | 'sink' | 'processor';
export type SourcePlugin = SourceDefinition & { kind: 'source'; sdkVersion: number };
export type SinkPlugin = SinkDefinition & { kind: 'sink'; sdkVersion: number };
export type ProcessorPlugin = ProcessorDefinition & { kind: 'processor'; sdkVersion: number };
export type Plugin = SourcePlugin | SinkPlugin | ProcessorPlugin;

// The define* helpers only stamp kind and SDK version and keep the config type for `create`.
export function defineSource<S extends z.ZodType>(def: SourceDefinition<S>): SourcePlugin {
  return { ...def, kind: 'source', sdkVersion: SDK_VERSION } as unknown as SourcePlugin;
}
export function defineSink<S extends z.ZodType>(def: SinkDefinition<S>): SinkPlugin {
  return { ...def, kind: 'sink', sdkVersion: SDK_VERSION } as unknown as SinkPlugin;
}
export function defineProcessor<S extends z.ZodType>(def: ProcessorDefinition<S>): ProcessorPlugin {
  return { ...def, kind: 'processor', sdkVersion: SDK_VERSION } as unknown as ProcessorPlugin;
}

/**
 * Marks a config field as secret: it is redacted from logs, errors, status output and docs examples. With
 * `referenceOnly`, the pipeline file must give it as `${NAME}` or `${file:path}` (encryption keys, say).
 */
export function secret<T extends z.ZodType>(schema: T, options: { referenceOnly?: boolean } = {}): T {
  const meta = { ...(schema.meta() ?? {}), secret: true, writeOnly: true };
  // referenceOnly: the value must come from ${NAME} or ${file:path}; a key written in the file is refused.
  return schema.meta(options.referenceOnly ? { ...meta, secretReferenceOnly: true } : meta) as T;
}

export function isPollSource(s: SourceInstance): s is PollSource {
  return typeof (s as PollSource).poll === 'function';
}

type RecordOutput = SluiceEvent | SluiceEvent[] | null;

// What eachRecord and eachRecordSync share: collect outputs, turn record-kind errors into rejects, let any
// other error through (a retryable or fatal error is about the batch, not the record).
class RecordCollector {
  readonly events: SluiceEvent[] = [];
  private rejected?: NonNullable<ProcessResult['rejected']>;

  add(out: RecordOutput): void {
    if (out === null) return;
    // A loop, not push(...out): a split of a huge array must not hit the argument limit.
    if (Array.isArray(out)) for (const e of out) this.events.push(e);
    else this.events.push(out);
  }

  reject(event: SluiceEvent, err: unknown): void {
    const e = toSluiceError(err);
    if (e.kind !== 'record') throw err;
    this.rejected ??= [];
    this.rejected.push({ event, error: e });
  }

  result(): ProcessResult {
    return this.rejected ? { events: this.events, rejected: this.rejected } : { events: this.events };
  }
}

/**
 * Applies `fn` to each record; a record whose `fn` throws a record-kind error is rejected with its reason
 * and the others go on. `fn` may return one event, several, or null to drop the record.
 */
export async function eachRecord(
  batch: readonly SluiceEvent[],
  fn: (event: SluiceEvent) => RecordOutput | Promise<RecordOutput>,
): Promise<ProcessResult> {
  const out = new RecordCollector();
  for (const event of batch) {
    try {
      out.add(await fn(event));
    } catch (err) {
      out.reject(event, err);
    }
  }
  return out.result();
}

/** Synchronous {@link eachRecord} for processors that do no I/O (the fast path). */
export function eachRecordSync(batch: readonly SluiceEvent[], fn: (event: SluiceEvent) => RecordOutput): ProcessResult {
  const out = new RecordCollector();
  for (const event of batch) {
    try {
      out.add(fn(event));
    } catch (err) {
      out.reject(event, err);
    }
  }
  return out.result();
}

/** Wraps a library's parse failure (or any error) as a record error with a clear reason. */
export function recordError(message: string, cause?: unknown, code = 'E_RECORD'): RecordError {
  return new RecordError(message, { cause, code });
}

/**
 * Imports a package that a plugin needs only when it is used (a database driver, a native codec), so that
 * installing Sluice does not install every one. When it is missing the error names the package to install.
 * `neededBy` names the user of it in the message: `the zstd processor`.
 */
export async function importOptional<T>(specifier: string, neededBy: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(`'${specifier}'`)) {
      throw new FatalError(
        `${neededBy} needs the npm package ${specifier}, which is not installed; install it beside sluice: npm install ${specifier}`,
        { code: 'E_MISSING_PACKAGE', cause: err },
      );
    }
    throw err;
  }
}

export { duration, MAX_TIMER_MS, parseDuration } from './duration.js';
export { z };
