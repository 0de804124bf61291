// One pipeline brought to life: its plugin instances, its inbound chain, its sinks with their chains, and
// the two ways events leave the broker's hands besides a sink: the topic and the dead-letter topic.
import type { ComponentSpec, PipelineSpec, SinkSpec } from '../config/pipeline-spec.js';
import type { Redactor } from '../config/redactor.js';
import { RetryableError, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import {
  type EmitOptions,
  isPollSource,
  type Logger,
  type PluginContext,
  type ProcessorPlugin,
  type SinkInstance,
  type SourceInstance,
} from '../plugin.js';
import type { DeliveryJob, JobInfo } from '../queue/queue.js';
import { type AppendResult, checkpointText, type Storage, type StoredEvent } from '../storage/storage.js';
import { ProcessorChain, type StepObserver } from './chain.js';
import { type DeadLetterOrigin, deadLetter } from './dead-letter.js';
import type { Metrics } from './metrics.js';
import { type OutboundContext, SinkOutbound } from './outbound.js';
import { pluginMetrics } from './plugin-metrics.js';
import { redactError } from './redact-error.js';
import { SinkHealth } from './sink-health.js';
import { type Taps, tapStage } from './tap.js';

/** What a source's events are stored with: a poll source's checkpoint, and the one its poll began at. */
export interface IngestOptions extends EmitOptions {
  checkpoint?: unknown;
  /** Store only while the source's checkpoint is still this one (see AppendOptions.checkpoint.ifStillAt). */
  checkpointWas?: { value: unknown };
}

export interface RuntimeServices {
  storage: Storage;
  logger: Logger;
  metrics: Metrics;
  redactor: Redactor;
  mode: 'embedded' | 'fleet';
  signal: AbortSignal;
  /** Aborted when sources must stop (before delivery drains). */
  ingestSignal: AbortSignal;
  /** Events stored but not delivered above which appends wait, by topic (0: no limit). */
  maxLag(topic: string): number;
  /** True while storage is fuller than its configured share of its memory limit. */
  isStorageFull(): Promise<boolean>;
  /** Live taps on this process's stages. */
  taps: Taps;
  /** A fatal error stopped `pipeline` (bad credentials, a missing table): the one way such errors travel. */
  onFatal(pipeline: string, error: unknown): void;
  /** A batch of `subscription` in `partition` was acknowledged. */
  onAck(subscription: string, partition: number): void;
}

export interface PipelineState {
  name: string;
  topic: string;
  state: 'running' | 'paused' | 'stopped';
  hasSource: boolean;
  sinks: Array<{ name: string; subscription: string; state: 'running' | 'paused' | 'stopped'; isFailing: boolean }>;
}

export interface LiveSink {
  spec: SinkSpec;
  instance: SinkInstance;
  chain: ProcessorChain;
  health: SinkHealth;
  /** The sink's name in its pipeline (the subscription is `<pipeline>.<name>`). */
  name: string;
}

export class PipelineRuntime {
  source?: SourceInstance;
  inbound = new ProcessorChain([]);
  /** The outbound path of each sink this process delivers to, by subscription. */
  private readonly outbounds = new Map<string, SinkOutbound>();
  private stopped = false;
  private paused = false;
  private readonly pausedSinks = new Set<string>();

  private readonly outboundContext: OutboundContext;

  constructor(
    readonly spec: PipelineSpec,
    readonly services: RuntimeServices,
  ) {
    this.outboundContext = {
      pipeline: spec.name,
      storage: services.storage,
      metrics: services.metrics,
      taps: services.taps,
      redact: (text) => services.redactor.text(text),
      deadLetter: (records, origin, isLogged) => this.deadLetter(records, origin, isLogged),
      fail: (error) => this.fail(error),
      acked: (subscription, partition) => services.onAck(subscription, partition),
    };
  }

  get name(): string {
    return this.spec.name;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Paused as a whole: its sources take nothing and none of its sinks is given work. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Whether the sink of `subscription` is given no work now (it, or its whole pipeline, is paused). */
  isSinkPaused(subscription: string): boolean {
    return this.paused || this.pausedSinks.has(this.sinkName(subscription));
  }

  /** Pauses or resumes the pipeline, or one sink of it when `sink` is named. */
  setPaused(isPaused: boolean, sink?: string): void {
    if (sink === undefined) this.paused = isPaused;
    else if (isPaused) this.pausedSinks.add(sink);
    else this.pausedSinks.delete(sink);
  }

  /** What the admin API shows of this pipeline in this process. */
  describe(): PipelineState {
    const state = (isPaused: boolean) => (this.stopped ? 'stopped' : isPaused ? 'paused' : 'running');
    return {
      name: this.name,
      topic: this.spec.topic,
      state: state(this.paused),
      hasSource: this.spec.source !== undefined,
      sinks: this.spec.sinks.map((s) => {
        return {
          name: this.sinkName(s.subscription),
          subscription: s.subscription,
          state: state(this.isSinkPaused(s.subscription)),
          isFailing: this.outbounds.get(s.subscription)?.sink.health.isFailing ?? false,
        };
      }),
    };
  }

  private sinkName(subscription: string): string {
    return subscription.slice(this.spec.name.length + 1);
  }

  context(component: ComponentSpec<unknown>, signal: AbortSignal = this.services.signal): PluginContext {
    const { logger, storage, mode, metrics } = this.services;
    const label = component.label;
    const child =
      (logger as { child?: (b: object) => Logger }).child?.({ pipeline: this.spec.name, component: label }) ?? logger;
    return {
      pipeline: this.spec.name,
      component: label,
      logger: child,
      signal,
      state: storage.state(`${this.spec.name}/${formatComponentPath(component)}`),
      mode,
      baseDir: this.spec.baseDir,
      metrics: pluginMetrics(metrics.registry, {
        plugin: (component.plugin as { name: string }).name,
        pipeline: this.spec.name,
        component: label,
      }),
    };
  }

  /** Creates the plugin instances. `roles` says which halves this process runs. */
  async create(roles: { ingest: boolean; deliver: boolean }): Promise<void> {
    const { spec } = this;
    if (roles.ingest && spec.source) {
      this.inbound = await this.chainOf(spec.inbound, (step, events) =>
        this.services.taps.emit(spec.name, tapStage.inbound(step), events),
      );
      this.source = await spec.source.plugin.create(
        spec.source.config,
        this.context(spec.source, this.services.ingestSignal),
      );
    }
    if (roles.deliver) {
      for (const s of spec.sinks) this.outbounds.set(s.subscription, await this.createSink(s));
    }
  }

  private async createSink(s: SinkSpec): Promise<SinkOutbound> {
    const name = this.sinkName(s.subscription);
    const chain = await this.chainOf(s.processors, (step, events) =>
      this.services.taps.emit(this.spec.name, tapStage.sinkProcessor(name, step), events),
    );
    const instance = await s.plugin.create(s.config, this.context(s));
    const health = new SinkHealth({
      pipeline: this.spec.name,
      sink: name,
      logger: this.services.logger,
      redact: (text) => this.services.redactor.text(text),
    });
    return new SinkOutbound({ spec: s, instance, chain, health, name }, this.outboundContext);
  }

  /** The live sinks this process delivers to, in the pipeline's order. */
  get sinks(): readonly LiveSink[] {
    return [...this.outbounds.values()].map((o) => o.sink);
  }

  /** The subscriptions of the sinks this process delivers to. */
  get subscriptions(): string[] {
    return [...this.outbounds.keys()];
  }

  /**
   * Delivers a batch of one of this pipeline's sinks (see SinkOutbound.deliver). A sink this process does not run,
   * or a stopped pipeline, fails retryably: the job waits for a worker that can deliver it.
   */
  deliver(job: DeliveryJob, info: JobInfo, claimed?: StoredEvent[]): Promise<boolean> {
    // By subscription, not index: a worker on another version of the file may list the pipeline's sinks in another
    // order, and the job's index would then name a different sink.
    const outbound = this.outbounds.get(job.subscription);
    if (!outbound || this.stopped) {
      throw toSluiceError({
        kind: 'retryable',
        code: 'E_SINK_UNAVAILABLE',
        message: `sink ${job.sink} of pipeline "${job.pipeline}" is not running here`,
      });
    }
    return outbound.deliver(job, info, claimed);
  }

  /** Stops the pipeline on a fatal error from its source or a sink. */
  fail(error: unknown): void {
    this.services.onFatal(this.name, error);
  }
  /**
   * Re-creates the sinks (or the one named) with fresh plugin instances; a whole pipeline also gets a fresh poll
   * source (a listening source keeps its server) and runs again if a fatal error had stopped it. A batch still
   * being written by an old instance may fail as it closes: it is retried, on the new one.
   */
  async restart(sink?: string): Promise<void> {
    for (const [subscription, { sink: old }] of this.outbounds) {
      if (sink !== undefined && old.name !== sink) continue;
      this.outbounds.set(subscription, await this.createSink(old.spec));
      await Promise.allSettled([old.instance.close?.(), old.chain.close()]);
    }
    if (sink !== undefined) return;
    const { source: spec } = this.spec;
    if (spec && this.source && isPollSource(this.source)) {
      const old = this.source;
      this.source = await spec.plugin.create(spec.config, this.context(spec, this.services.ingestSignal));
      await Promise.allSettled([old.close?.()]);
    }
    this.stopped = false;
  }

  private async chainOf(components: ComponentSpec<ProcessorPlugin>[], observe: StepObserver): Promise<ProcessorChain> {
    const steps = [];
    for (const c of components)
      steps.push({ label: c.label, instance: await c.plugin.create(c.config, this.context(c)) });
    return new ProcessorChain(steps, observe);
  }

  /**
   * The ingest path: runs the inbound chain, sends rejects to the dead-letter topic, stores the rest with the
   * optional checkpoint in one atomic append. Resolves once stored.
   */
  ingest(events: readonly SluiceEvent[], options: IngestOptions = {}): Promise<AppendResult> {
    const { storage } = this.services;
    // A source that will not wait for room (an HTTP server answering at once) will not wait for storage either:
    // not for the append, nor for the reads that decide whether there is room.
    if (options.maxWaitMs === 0 && storage.withoutWaiting) {
      return storage.withoutWaiting((signal) => this.store(events, options, signal));
    }
    return this.store(events, options);
  }

  private async store(
    events: readonly SluiceEvent[],
    options: IngestOptions,
    dropped?: AbortSignal,
  ): Promise<AppendResult> {
    const { storage, metrics } = this.services;
    await this.waitForRoom(options.maxWaitMs);
    const { events: out, rejected } = await this.inbound.run(events);
    // The caller was told nothing was stored: storing it now would only make a duplicate of its retry.
    dropped?.throwIfAborted();
    if (rejected.length > 0) {
      // The append below stores nothing of a poll whose checkpoint moved while it ran (a poller that stalled past
      // its lease); its rejects must not reach the dead-letter topic either, or the poller that took over from the
      // same checkpoint writes them a second time. Asked only when there are rejects: one read, rarely.
      if (options.checkpointWas && (await this.hasCheckpointMoved(options.checkpointWas.value))) {
        return { ids: [], duplicate: false, checkpointMoved: true };
      }
      await this.deadLetter(
        rejected.map((r) => ({ event: r.event, error: r.error })),
        { pipeline: this.spec.name, component: rejected[0].component },
      );
    }
    const hasCheckpoint = options.checkpoint !== undefined;
    if (out.length === 0 && !hasCheckpoint) return { ids: [], duplicate: false };
    const result = await storage.append(this.spec.topic, out, {
      checkpoint: hasCheckpoint
        ? { source: this.spec.name, value: options.checkpoint, ifStillAt: options.checkpointWas }
        : undefined,
      idempotencyKey: options.idempotencyKey,
    });
    if (!result.duplicate && !result.checkpointMoved)
      metrics.stored(this.spec.name, this.spec.source?.label ?? 'source', out);
    return result;
  }

  private async hasCheckpointMoved(was: unknown): Promise<boolean> {
    const now = await this.services.storage.getCheckpoint(this.spec.topic, this.spec.name);
    return checkpointText(now) !== checkpointText(was);
  }

  /**
   * Backpressure: while the topic's lag is over its limit, a source waits (up to `maxWaitMs`, then a retryable
   * E_BACKPRESSURE error tells a push source to refuse with a retry-after).
   */
  private async waitForRoom(maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const { ingestSignal: signal } = this.services;
    const limit = this.services.maxLag(this.spec.topic);
    const deadline = Date.now() + maxWaitMs;
    for (let delay = 1; !signal.aborted; delay = Math.min(delay * 2, 50)) {
      const reason = await this.whyFull(limit);
      if (reason === undefined) return;
      if (Date.now() >= deadline) {
        throw new RetryableError(`${reason}; try again shortly`, { code: 'E_BACKPRESSURE', retryAfterMs: 1000 });
      }
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, deadline - Date.now()))));
    }
    throw new RetryableError('shutting down: not accepting events', { code: 'E_SHUTDOWN', retryAfterMs: 1000 });
  }

  private async whyFull(limit: number): Promise<string | undefined> {
    if (this.paused) return `pipeline "${this.spec.name}" is paused (sluice admin API: resume)`;
    if (await this.services.isStorageFull()) return 'storage is over its memory limit (redis.memoryLimit)';
    if (limit > 0 && (await this.topicLag()) >= limit) {
      return `topic "${this.spec.topic}" has more than ${limit} undelivered events (maxLag)`;
    }
    return undefined;
  }

  /** Events stored but not yet acknowledged by the slowest of this pipeline's sinks. */
  async lag(): Promise<number> {
    return Math.max(0, ...(await this.lagBySubscription()).values());
  }

  /** Events stored but not yet acknowledged, per subscription of this pipeline's sinks. */
  lagBySubscription(): Promise<Map<string, number>> {
    return this.lagsOf(this.spec.sinks.map((s) => s.subscription));
  }

  /**
   * Events stored but not yet acknowledged by the slowest subscription of the topic, whichever pipeline (here or
   * elsewhere in the fleet) reads it: a source's pipeline often has no sinks of its own.
   */
  private async topicLag(): Promise<number> {
    const lags = await this.lagsOf(await this.services.storage.listSubscriptions(this.spec.topic));
    return Math.max(0, ...lags.values());
  }

  private async lagsOf(subscriptions: readonly string[]): Promise<Map<string, number>> {
    const lags = new Map<string, number>();
    for (const subscription of subscriptions) {
      const positions = await this.services.storage.positions(this.spec.topic, subscription);
      lags.set(
        subscription,
        positions.reduce((n, p) => n + p.lag + p.pending, 0),
      );
    }
    return lags;
  }

  /** Sends records to the dead-letter topic; `isLogged: false` when the caller reports them its own way. */
  async deadLetter(
    records: Array<{ event: SluiceEvent; error: unknown }>,
    origin: DeadLetterOrigin,
    isLogged = true,
  ): Promise<void> {
    if (records.length === 0) return;
    const { storage, metrics, logger, redactor } = this.services;
    const letters = records.map((r) =>
      deadLetter(r.event, redactError(r.error, redactor), { topic: undefined, ...origin }),
    );
    await storage.append(this.spec.deadLetterTopic, letters);
    metrics.deadLettered(this.spec.name, origin.component, records.length);
    for (const r of records) metrics.failed(this.spec.name, origin.component, r.error);
    if (!isLogged) return;
    logger.warn(
      {
        pipeline: this.spec.name,
        component: origin.component,
        count: records.length,
        reason: redactor.text(toSluiceError(records[0].error).message),
      },
      'events sent to the dead-letter topic',
    );
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.inbound.close(),
      ...[...this.outbounds.values()].flatMap(({ sink: s }) => [s.instance.close?.(), s.chain.close()]),
    ]);
  }
}

function formatComponentPath(c: ComponentSpec<unknown>): string {
  return c.path.slice(2).join('.');
}
