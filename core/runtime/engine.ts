// Wires a loaded configuration to storage and a work queue and runs it: sources, dispatchers, delivery
// workers. The same engine runs embedded (memory drivers, one process) and in a fleet (Redis and BullMQ).
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { LoadedConfig } from '../config/pipeline-spec.js';
import { ConfigError, FatalError, toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import type { DeliveryJob, JobInfo, WorkQueue } from '../queue/queue.js';
import { backoffFor } from '../queue/retry-policy.js';
import type { Storage, StoredEvent, TopicSpec } from '../storage/storage.js';
import { startContinuousQueries } from './continuous-queries.js';
import { DeliverySlots } from './delivery-slots.js';
import { dispatchLoop } from './dispatch.js';
import { withEmbeddedRetention } from './embedded-retention.js';
import { CONTROL_SCOPE, type ControlView, FleetControl, watchControl } from './fleet-control.js';
import { startIngest } from './ingest.js';
import { Metrics } from './metrics.js';
import { PipelineRuntime, type PipelineState } from './pipeline-runtime.js';
import { deleteStaleSubscriptions, SubscriptionLiveness } from './subscription-liveness.js';
import { Taps } from './tap.js';
import { markDeadLetterTopic } from './topic-roles.js';

const RETENTION_EVERY_MS = 10_000;
/** A consumer (`<worker>/<lane>`) with nothing pending that has not claimed for this long is forgotten. */
const CONSUMER_IDLE_MS = 60 * 60 * 1000;
const PRUNE_CONSUMERS_EVERY_MS = 60_000;

export interface EngineOptions {
  config: LoadedConfig;
  storage: Storage;
  queue: WorkQueue;
  logger: Logger;
  /** Which halves this process runs (default: both). */
  roles?: { ingest: boolean; deliver: boolean };
  /** Delivery jobs run at once in this process: in all when embedded, per subscription (sink) in a fleet. */
  concurrency?: number;
  /** Events stored but undelivered above which sources wait (default: 100 000 embedded, off in a fleet). */
  maxLag?: number;
  /** How often retention is applied, ms (default 10 s). */
  retentionEveryMs?: number;
  /** A consumer with nothing pending that has not claimed for this long is removed, ms (default 1 h). */
  consumerIdleMs?: number;
  /** Name of this process in subscriptions and job locks. */
  workerId?: string;
  /** Counters to add to (a reload hands the new engine the old one's, so totals span versions). */
  metrics?: Metrics;
}

export class Engine {
  readonly metrics: Metrics;
  /** Live taps on the stages of this process's pipelines (the admin API's tap). */
  readonly taps = new Taps();
  readonly pipelines: PipelineRuntime[] = [];
  private readonly controller = new AbortController();
  /** Aborted first on stop: sources stop taking events while delivery drains. */
  private readonly ingestController = new AbortController();
  private readonly acks = new EventEmitter();
  private readonly doneSources = new Set<string>();
  private fatal?: { pipeline: string; error: FatalError };
  private liveness?: SubscriptionLiveness;
  private readonly fatalListeners: Array<(pipeline: string, error: FatalError) => void> = [];
  readonly workerId: string;
  readonly mode: 'embedded' | 'fleet';
  private readonly control: FleetControl;
  /** Restart orders already applied (or found at start), by target. */
  private readonly restartsSeen = new Map<string, string>();
  /** Delivery batches running in this process, as jobs or delivered by their dispatcher. */
  /** Batches delivered at once in this process: its delivery jobs and its dispatchers' own batches. */
  private readonly slots: DeliverySlots;

  constructor(private readonly options: EngineOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
    this.metrics = options.metrics ?? new Metrics();
    this.mode = options.storage.kind === 'memory' ? 'embedded' : 'fleet';
    this.acks.setMaxListeners(0);
    this.control = new FleetControl(options.storage.state(CONTROL_SCOPE));
    this.slots = new DeliverySlots(options.concurrency ?? 8);
  }

  /** True once stop() began: sources take nothing more and delivery drains. */
  get isStopping(): boolean {
    return this.ingestController.signal.aborted;
  }

  /** The pipelines of this process and their state (running, paused, stopped), with their sinks. */
  describePipelines(): PipelineState[] {
    return this.pipelines.map((p) => p.describe());
  }

  /**
   * Pauses a pipeline (its sources and every sink) or one sink, on every process of the fleet: sources stop
   * taking events (a push source answers "retry later"), no new batches are handed out, nothing is lost.
   */
  async pause(pipeline: string, sink?: string): Promise<void> {
    const target = this.targetOf(pipeline, sink);
    await this.control.pause(target);
    this.pipelineNamed(pipeline).setPaused(true, sink);
  }

  async resume(pipeline: string, sink?: string): Promise<void> {
    const target = this.targetOf(pipeline, sink);
    await this.control.resume(target);
    this.pipelineNamed(pipeline).setPaused(false, sink);
  }

  /** Re-creates a pipeline's sinks (or one sink) on every process; a pipeline stopped by a fatal error runs again. */
  async restart(pipeline: string, sink?: string): Promise<void> {
    await this.control.restart(this.targetOf(pipeline, sink));
    await this.applyControl(await this.control.read(this.controlTargets()));
  }

  private pipelineNamed(name: string): PipelineRuntime {
    const p = this.pipelines.find((x) => x.name === name);
    if (!p) {
      throw new ConfigError(
        `no pipeline "${name}" runs here; pipelines: ${this.pipelines.map((x) => x.name).join(', ') || 'none'}`,
        { code: 'E_NO_PIPELINE' },
      );
    }
    return p;
  }

  private targetOf(pipeline: string, sink?: string): string {
    const p = this.pipelineNamed(pipeline);
    if (sink === undefined) return pipeline;
    const names = p.describe().sinks.map((s) => s.name);
    if (!names.includes(sink)) {
      throw new ConfigError(`pipeline "${pipeline}" has no sink "${sink}"; sinks: ${names.join(', ') || 'none'}`, {
        code: 'E_NO_SINK',
      });
    }
    return `${pipeline}/${sink}`;
  }

  private controlTargets(): string[] {
    return this.pipelines.flatMap((p) => [p.name, ...p.describe().sinks.map((s) => `${p.name}/${s.name}`)]);
  }

  private async applyControl(view: ControlView, isFirst = false): Promise<void> {
    for (const p of this.pipelines) {
      p.setPaused(view.paused.has(p.name));
      for (const s of p.describe().sinks) p.setPaused(view.paused.has(`${p.name}/${s.name}`), s.name);
    }
    for (const [target, order] of view.restarts) {
      if (this.restartsSeen.get(target) === order) continue;
      this.restartsSeen.set(target, order);
      if (isFirst) continue;
      const [pipeline, sink] = target.split('/');
      const p = this.pipelines.find((x) => x.name === pipeline);
      if (!p) continue;
      this.options.logger.info(
        { pipeline, sink },
        `restarting ${sink ? `sink "${sink}" of ` : 'the sinks of '}pipeline "${pipeline}"`,
      );
      await p.restart(sink);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Called when a pipeline stops on a fatal error (bad credentials, a missing table). */
  onFatal(listener: (pipeline: string, error: FatalError) => void): void {
    this.fatalListeners.push(listener);
  }

  get fatalError(): { pipeline: string; error: FatalError } | undefined {
    return this.fatal;
  }

  async start(): Promise<void> {
    const { config, storage, queue, logger } = this.options;
    const roles = this.options.roles ?? { ingest: true, deliver: true };
    for (const topic of this.topics()) await storage.ensureTopic(topic);
    for (const spec of config.pipelines) await markDeadLetterTopic(storage, spec.deadLetterTopic);
    const services = {
      storage,
      logger,
      metrics: this.metrics,
      redactor: config.redactor,
      mode: this.mode,
      signal: this.controller.signal,
      ingestSignal: this.ingestController.signal,
      taps: this.taps,
      isStorageFull: storageFullness(storage, config.redis?.memoryLimit ?? 0.9),
      maxLag: (topic: string) =>
        config.maxLag.get(topic) ?? this.options.maxLag ?? (this.mode === 'embedded' ? 100_000 : 0),
      onFatal: (pipeline: string, error: unknown) => this.stopPipeline(pipeline, error),
      onAck: (subscription: string, partition: number) => this.acks.emit(`${subscription}/${partition}`),
    };
    for (const spec of config.pipelines) {
      for (const sink of spec.sinks) await storage.ensureSubscription(spec.topic, sink.subscription, sink.common.start);
      const runtime = new PipelineRuntime(spec, services);
      try {
        await runtime.create(roles);
      } catch (err) {
        await runtime.close();
        throw withPipeline(spec.name, err);
      }
      this.pipelines.push(runtime);
    }
    await this.applyControl(await this.control.read(this.controlTargets()), true);
    watchControl(this.control, this.controlTargets(), (view) => this.applyControl(view), this.controller.signal);
    if (roles.deliver) {
      this.liveness = new SubscriptionLiveness(
        storage,
        config.pipelines.flatMap((p) => p.sinks.map((s) => ({ topic: p.topic, subscription: s.subscription }))),
        (err) => logger.warn({ err: toSluiceError(err) }, 'could not record which subscriptions this process runs'),
      );
      await this.liveness.start();
      this.startDelivery();
    }
    this.startRetention();
    this.startStaleSubscriptionSweep();
    if (roles.ingest) {
      startContinuousQueries(config.pipelines, storage, queue, logger);
      for (const p of this.pipelines) {
        startIngest(p, queue, logger, (name) => this.doneSources.add(name), this.ingestController.signal);
      }
    }
  }

  private startDelivery(): void {
    const { config, storage, queue, logger } = this.options;
    const byName = new Map(this.pipelines.map((p) => [p.name, p]));
    const retryOf = new Map(config.pipelines.flatMap((p) => p.sinks.map((s) => [s.subscription, s.retry] as const)));
    const policyOf = (subscription: string) => backoffFor(retryOf.get(subscription) ?? { baseMs: 200, capMs: 30_000 });
    const concurrency = this.slots.size;
    queue.consume(
      async (job, info) => {
        const pipeline = byName.get(job.pipeline);
        if (!pipeline)
          throw new FatalError(`pipeline "${job.pipeline}" is not in this worker's configuration`, {
            code: 'E_UNKNOWN_PIPELINE',
          });
        const leave = this.slots.enter();
        try {
          await pipeline.deliver(job, info);
        } finally {
          leave();
        }
      },
      {
        subscriptions: this.pipelines.flatMap((p) => p.subscriptions),
        concurrency,
        backoff: (attempt, error, job) => policyOf(job.subscription)(attempt, error),
        events: () => this.metrics.eventCounts(),
      },
    );
    for (const p of this.pipelines) {
      const partitions = config.topics.get(p.spec.topic)?.partitions ?? 1;
      for (const sink of p.spec.sinks) {
        const inline = {
          takeSlot: () => this.slots.take(),
          waitForSlot: (ms: number, signal: AbortSignal) => this.slots.wait(ms, signal),
          deliver: (job: DeliveryJob, events: StoredEvent[], info: JobInfo) => p.deliver(job, info, events),
          backoff: policyOf(sink.subscription),
          isStopped: () => p.isStopped,
        };
        for (let partition = 0; partition < partitions; partition++) {
          const target = { pipeline: p.name, topic: p.spec.topic, sink, partition };
          queue.exclusive(
            `dispatch:${sink.subscription}:${partition}`,
            (lease, isHeld) =>
              dispatchLoop(
                target,
                {
                  storage,
                  queue,
                  logger,
                  consumer: this.workerId,
                  isPaused: () => p.isSinkPaused(sink.subscription),
                  waitForAck: (s, part, ms) => this.waitForAck(s, part, ms),
                  inline,
                },
                anySignal(lease, this.signal),
                lease,
                isHeld,
              ),
            // The partitions of one subscription spread over the workers that deliver to it.
            { group: `dispatch:${sink.subscription}` },
          );
        }
      }
    }
  }

  /** The topics of the configuration as this mode keeps them. */
  private topics(): TopicSpec[] {
    const topics = [...this.options.config.topics.values()];
    return this.mode === 'embedded' ? topics.map(withEmbeddedRetention) : topics;
  }

  /** Applies each topic's retention now and then, once across the fleet. */
  private startRetention(): void {
    const { storage, queue, logger } = this.options;
    for (const topic of this.topics()) {
      const { maxEvents, maxAgeMs } = topic.retention ?? {};
      if (maxEvents === undefined && maxAgeMs === undefined) continue;
      queue.schedule(`trim:${topic.name}`, this.options.retentionEveryMs ?? RETENTION_EVERY_MS, async () => {
        const { trimmed, lost } = await storage.trim(topic.name);
        if (lost > 0)
          logger.warn(
            { topic: topic.name, lost },
            'retention dropped events a subscription had not acknowledged (allowLoss)',
          );
        else if (trimmed > 0) logger.debug({ topic: topic.name, trimmed }, 'retention applied');
        return false;
      });
    }
  }

  /**
   * Deletes, once across the fleet, subscriptions nobody has run for their topic's `retention.staleAfter`, and
   * now and then the consumers of the rest that workers gone (or lanes unused) left behind.
   */
  private startStaleSubscriptionSweep(): void {
    const { config, storage, queue, logger } = this.options;
    const consumerIdleMs = this.options.consumerIdleMs ?? CONSUMER_IDLE_MS;
    for (const [topic, staleAfterMs] of config.staleAfter) {
      let prunedAt = 0;
      queue.schedule(`stale-subscriptions:${topic}`, this.options.retentionEveryMs ?? RETENTION_EVERY_MS, async () => {
        for (const { subscription, unusedMs } of await deleteStaleSubscriptions(storage, topic, staleAfterMs)) {
          logger.warn(
            { topic, subscription, unusedMs },
            'deleted a subscription no running pipeline has used for retention.staleAfter; it no longer holds retention back',
          );
        }
        if (storage.pruneConsumers && Date.now() - prunedAt >= Math.min(PRUNE_CONSUMERS_EVERY_MS, consumerIdleMs)) {
          prunedAt = Date.now();
          for (const subscription of await storage.listSubscriptions(topic)) {
            const removed = await storage.pruneConsumers(topic, subscription, consumerIdleMs);
            if (removed > 0) logger.debug({ topic, subscription, removed }, 'removed idle consumers');
          }
        }
        return false;
      });
    }
  }

  private waitForAck(subscription: string, partition: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const name = `${subscription}/${partition}`;
      const done = () => {
        clearTimeout(timer);
        this.acks.off(name, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.acks.once(name, done);
    });
  }

  private stopPipeline(name: string, error: unknown): void {
    const pipeline = this.pipelines.find((p) => p.name === name);
    if (!pipeline || pipeline.isStopped) return;
    pipeline.stop();
    const e = toSluiceError(error);
    const fatal = new FatalError(`pipeline "${name}" stopped: ${this.options.config.redactor.text(e.message)}`, {
      code: e.code,
      cause: e,
    });
    this.fatal ??= { pipeline: name, error: fatal };
    this.options.logger.error({ pipeline: name, code: e.code }, fatal.message);
    for (const l of this.fatalListeners) l(name, fatal);
  }

  /** True when every source is finite and finished and everything stored has been delivered. */
  async isDrained(): Promise<boolean> {
    const withSource = this.pipelines.filter((p) => p.spec.source);
    if (withSource.length === 0 || withSource.some((p) => !this.doneSources.has(p.name))) return false;
    return this.isDelivered();
  }

  /** True when no subscription has events waiting or in flight. */
  async isDelivered(): Promise<boolean> {
    for (const p of this.pipelines) if (!p.isStopped && (await p.lag()) > 0) return false;
    const counts = await this.options.queue.counts();
    return counts.active + counts.waiting + counts.delayed === 0;
  }

  /** Events stored and not yet acknowledged, per subscription of this process's pipelines (none listed: all done). */
  async undelivered(): Promise<Map<string, number>> {
    const left = new Map<string, number>();
    for (const p of this.pipelines) {
      for (const [subscription, count] of await p.lagBySubscription()) if (count > 0) left.set(subscription, count);
    }
    return left;
  }

  /** The dead-letter topics of this process's pipelines. */
  get deadLetterTopics(): string[] {
    return [...new Set(this.pipelines.map((p) => p.spec.deadLetterTopic))];
  }

  /**
   * Stops sources first, lets delivery catch up for up to `graceMs` (embedded storage would lose what is left),
   * then stops dispatchers and workers and closes every plugin.
   */
  async stop(graceMs: number, drain = this.mode === 'embedded'): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.ingestController.abort();
    await Promise.allSettled(this.pipelines.map((p) => p.source?.close?.()));
    if (drain) {
      while (Date.now() < deadline && !this.fatal && !(await this.isDelivered()))
        await new Promise((r) => setTimeout(r, 20));
    }
    this.controller.abort();
    this.liveness?.stop();
    await this.options.queue.close(Math.max(0, deadline - Date.now()));
    await Promise.allSettled(this.pipelines.map((p) => p.close()));
  }
}

const MEMORY_CHECK_EVERY_MS = 1000;

/** Whether storage is over `share` of its memory limit, asked at most once a second (INFO is not free). */
function storageFullness(storage: Storage, share: number): () => Promise<boolean> {
  let checkedAt = 0;
  let isFull = false;
  return async () => {
    if (share <= 0 || !storage.memory) return false;
    if (Date.now() - checkedAt >= MEMORY_CHECK_EVERY_MS) {
      checkedAt = Date.now();
      const { usedBytes, maxBytes } = await storage.memory();
      isFull = maxBytes !== null && usedBytes > maxBytes * share;
    }
    return isFull;
  };
}

function withPipeline(name: string, err: unknown): Error {
  const e = toSluiceError(err);
  return new FatalError(`pipeline "${name}" could not start: ${e.message}`, { code: e.code, cause: e });
}

function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  return AbortSignal.any([a, b]);
}
