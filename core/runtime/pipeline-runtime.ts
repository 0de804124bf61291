// One pipeline brought to life: its plugin instances, its inbound chain, its sinks with their chains, and
// the two ways events leave the broker's hands besides a sink: the topic and the dead-letter topic.
import type { ComponentSpec, PipelineSpec, SinkSpec } from '../config/pipeline-spec.js';
import type { Redactor } from '../config/redactor.js';
import { RetryableError, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type {
  EmitOptions,
  EmitResult,
  Logger,
  PluginContext,
  ProcessorPlugin,
  SinkInstance,
  SourceInstance,
} from '../plugin.js';
import type { Storage } from '../storage/storage.js';
import { ProcessorChain, type StepObserver } from './chain.js';
import { type DeadLetterOrigin, deadLetter } from './dead-letter.js';
import type { Metrics } from './metrics.js';
import { redactError } from './redact-error.js';
import { sinkName, type Taps, tapStage } from './tap.js';

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
}

export interface LiveSink {
  spec: SinkSpec;
  instance: SinkInstance;
  chain: ProcessorChain;
}

export class PipelineRuntime {
  source?: SourceInstance;
  inbound = new ProcessorChain([]);
  sinks: LiveSink[] = [];
  private stopped = false;

  constructor(
    readonly spec: PipelineSpec,
    readonly services: RuntimeServices,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  context(component: ComponentSpec<unknown>, signal: AbortSignal = this.services.signal): PluginContext {
    const { logger, storage, mode } = this.services;
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
      for (const s of spec.sinks) {
        const name = sinkName(spec.name, s.subscription);
        const chain = await this.chainOf(s.processors, (step, events) =>
          this.services.taps.emit(spec.name, tapStage.sinkProcessor(name, step), events),
        );
        const instance = await s.plugin.create(s.config, this.context(s));
        this.sinks.push({ spec: s, instance, chain });
      }
    }
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
  async ingest(
    events: readonly SluiceEvent[],
    options: EmitOptions & { checkpoint?: unknown } = {},
  ): Promise<EmitResult> {
    const { storage, metrics } = this.services;
    await this.waitForRoom(options.maxWaitMs);
    const { events: out, rejected } = await this.inbound.run(events);
    if (rejected.length > 0) {
      await this.deadLetter(
        rejected.map((r) => ({ event: r.event, error: r.error })),
        { pipeline: this.spec.name, component: rejected[0].component },
      );
    }
    const hasCheckpoint = options.checkpoint !== undefined;
    if (out.length === 0 && !hasCheckpoint) return { ids: [], duplicate: false };
    const result = await storage.append(this.spec.topic, out, {
      checkpoint: hasCheckpoint ? { source: this.spec.name, value: options.checkpoint } : undefined,
      idempotencyKey: options.idempotencyKey,
      // A source that will not wait for room (an HTTP server answering at once) will not wait for storage either.
      waitWhileUnavailable: options.maxWaitMs !== 0,
    });
    if (!result.duplicate) metrics.for(this.spec.name).in += out.length;
    return result;
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

  async deadLetter(records: Array<{ event: SluiceEvent; error: unknown }>, origin: DeadLetterOrigin): Promise<void> {
    if (records.length === 0) return;
    const { storage, metrics, logger, redactor } = this.services;
    const letters = records.map((r) =>
      deadLetter(r.event, redactError(r.error, redactor), { topic: undefined, ...origin }),
    );
    await storage.append(this.spec.deadLetterTopic, letters);
    metrics.for(this.spec.name).deadLettered += records.length;
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
      ...this.sinks.flatMap((s) => [s.instance.close?.(), s.chain.close()]),
    ]);
  }
}

function formatComponentPath(c: ComponentSpec<unknown>): string {
  return c.path.slice(2).join('.');
}
