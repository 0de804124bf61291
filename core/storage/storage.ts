// The storage contract: durable, partitioned, replayable topics with per-subscription positions.
// Drivers: memory.ts (embedded, one process) and redis.ts (Redis Streams). Both pass
// test/conformance/storage.ts unchanged.

import type { SluiceEvent } from '../event.js';
import type { StateStore } from '../plugin.js';

export interface RetentionSpec {
  /** Keep at most this many events per partition (approximately, for efficiency). */
  maxEvents?: number;
  /** Drop events older than this (by stored time), ms. */
  maxAgeMs?: number;
  /**
   * When true, retention may drop events that a subscription has not acknowledged yet; each such event is
   * counted as lost in topic info. When false (default), retention waits for the slowest subscription.
   */
  allowLoss?: boolean;
}

export interface TopicSpec {
  name: string;
  /** Number of partitions; events go to one by a hash of their key. Fixed once the topic exists. */
  partitions: number;
  retention?: RetentionSpec;
}

/** An event handed out to a subscription and not acknowledged; `consumer` is the name it was claimed under. */
export interface PendingEvent extends StoredEvent {
  consumer: string;
}

/** An event as stored: `id` is its offset, `partition` the partition it lives in. */
export interface StoredEvent extends SluiceEvent {
  readonly id: string;
  readonly partition: number;
}

export interface AppendOptions {
  /**
   * Source checkpoint written atomically with the events. With `ifStillAt`, nothing is stored unless the
   * source's stored checkpoint is still `ifStillAt.value` (`undefined`: none yet), and the result says
   * `checkpointMoved`: a poller that stalled past its lead, while another stored what it read from the same
   * checkpoint, or while `sluice offsets` moved it, must not store its events or put the checkpoint back.
   */
  checkpoint?: { source: string; value: unknown; ifStillAt?: { value: unknown } };
  /** Append once per key within `idempotencyTtlMs`; a repeat returns the first ids with `duplicate: true`. */
  idempotencyKey?: string;
  /** How long an idempotency key is remembered, ms. Default {@link DEFAULT_IDEMPOTENCY_TTL_MS} (one hour). */
  idempotencyTtlMs?: number;
}

/**
 * A checkpoint as stored: its JSON text, undefined for none. Stored checkpoints are compared by this text, which a
 * checkpoint read back (JSON.parse) gives again.
 */
export function checkpointText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** How long an idempotency key is remembered when the append does not say: one hour covers client retries. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 3_600_000;

export interface AppendResult {
  ids: string[];
  duplicate: boolean;
  /** True when nothing was stored because the source's checkpoint was no longer `checkpoint.ifStillAt`. */
  checkpointMoved?: boolean;
}

export interface ReadOptions {
  partition?: number;
  /** Only events with this id or later (inclusive). Requires `partition`. */
  fromId?: string;
  /** Only events with an id after this one (exclusive). Requires `partition`. */
  afterId?: string;
  /** Event ids up to and including this one. Requires `partition`. */
  toId?: string;
  /** Stored-time bounds, ms, inclusive. */
  fromTime?: number;
  toTime?: number;
  limit?: number;
}

/** A paged scan: the bounds of {@link ReadOptions} without `afterId` and `limit`, which the scan moves itself. */
export interface ScanOptions extends Omit<ReadOptions, 'afterId' | 'limit'> {
  /** Most events per page (per partition), default {@link DEFAULT_SCAN_PAGE}. */
  pageSize?: number;
}

/** Events per page of a scan when the caller does not say: big enough that round trips do not dominate. */
export const DEFAULT_SCAN_PAGE = 2000;

export type SeekTarget =
  | { to: 'beginning' }
  | { to: 'end' }
  /** The first event stored at or after this time (ms) becomes the next to deliver. */
  | { to: 'time'; time: number }
  /** Delivery resumes after this event id (exclusive) in its partition. */
  | { to: 'offset'; id: string };

export interface ClaimOptions {
  /** Most events to return. */
  count: number;
  /** Wait up to this long for new events when there are none, ms (0: do not wait). */
  blockMs?: number;
  /** Name of the claiming consumer (a worker id). */
  consumer: string;
}

export interface PartitionPosition {
  partition: number;
  /** Id of the last event handed out to the subscription (`null`: none yet). */
  lastDeliveredId: string | null;
  /** Events handed out and not acknowledged. */
  pending: number;
  /** Events stored after `lastDeliveredId` (not yet handed out). */
  lag: number;
}

export interface TopicInfo {
  name: string;
  partitions: number;
  /** Events currently stored. */
  length: number;
  /** Stored time of the oldest and newest event, ms, or null when empty. */
  oldestTime: number | null;
  newestTime: number | null;
  /** Bytes the topic takes in storage, when the driver can tell. */
  memoryBytes?: number;
  /** Unacknowledged events dropped by a retention that allows loss. */
  lost: number;
  subscriptions: string[];
}

export interface Storage {
  readonly kind: 'memory' | 'redis';
  /** Creates the topic, or checks that an existing one has the same partition count. */
  ensureTopic(spec: TopicSpec): Promise<void>;
  listTopics(): Promise<string[]>;
  topicInfo(topic: string): Promise<TopicInfo>;
  /** Appends events (partitioned by key) in one atomic step with the optional checkpoint. */
  append(topic: string, events: readonly SluiceEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Reads stored events without touching any subscription (query, inspection, range jobs). */
  read(topic: string, options: ReadOptions): Promise<StoredEvent[]>;
  /**
   * Reads stored events page by page, never the whole topic at once: each page holds events of one partition
   * in id order; pages of different partitions interleave. Bounds are stored time and ids, as in `read`.
   */
  scan(topic: string, options?: ScanOptions): AsyncIterable<StoredEvent[]>;
  /** Applies the topic's retention now; returns how many events were dropped and how many of those were lost. */
  trim(topic: string): Promise<{ trimmed: number; lost: number }>;

  /** A source's checkpoint; sources are named per topic because the checkpoint is stored beside the topic. */
  getCheckpoint(topic: string, source: string): Promise<unknown>;
  /** Sets (or with `undefined` clears) a source checkpoint outside an append: `sluice offsets`. */
  setCheckpoint(topic: string, source: string, value: unknown): Promise<void>;
  listCheckpoints(topic: string): Promise<Array<{ source: string; value: unknown }>>;

  /** Creates the subscription at the beginning or the end of the topic; an existing one keeps its position. */
  ensureSubscription(topic: string, subscription: string, start: 'beginning' | 'end'): Promise<void>;
  listSubscriptions(topic: string): Promise<string[]>;
  /** Hands out the next events of a partition to the subscription; they stay pending until acknowledged. */
  claim(topic: string, subscription: string, partition: number, options: ClaimOptions): Promise<StoredEvent[]>;
  /**
   * Events handed out and not yet acknowledged, oldest first, each with the consumer it was handed to (for recovery
   * after a crash: a dispatcher claims each batch under a consumer name of its own, so the batches show).
   */
  pending(topic: string, subscription: string, partition: number, limit: number): Promise<PendingEvent[]>;
  ack(topic: string, subscription: string, partition: number, ids: readonly string[]): Promise<void>;
  /** Moves the subscription (all partitions); pending events are dropped from the pending list. */
  seek(topic: string, subscription: string, target: SeekTarget): Promise<void>;
  positions(topic: string, subscription: string): Promise<PartitionPosition[]>;
  deleteSubscription(topic: string, subscription: string): Promise<void>;
  /**
   * Forgets the subscription's consumers (the names batches were claimed under: `<worker>/<lane>`) that hold no
   * pending event and have not claimed for `idleMs`, so workers that come and go leave no trail; how many went.
   * Drivers whose consumers do not outlive the process leave it out.
   */
  pruneConsumers?(topic: string, subscription: string, idleMs: number): Promise<number>;

  /**
   * How full the storage is: bytes used and the most it may use (`null`: no limit set). The busiest node of a
   * cluster. Drivers without such a limit may leave it out.
   */
  memory?(): Promise<{ usedBytes: number; maxBytes: number | null }>;

  /**
   * Runs `work` (calls on this storage) but fails it at once with a retryable error while the storage cannot be
   * reached, or as soon as it drops, instead of waiting for it to come back (an HTTP ingest then answers 503
   * rather than holding its client). `signal` is aborted then: work already sent may still complete once the
   * storage is back (at least once: a duplicate, never a loss), so `work` checks it before each step it begins.
   * Storage that is always reachable (in process) leaves it out.
   */
  withoutWaiting?<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;

  /** Key/value state with expiry (dedupe windows, plugin state), namespaced by `scope`. */
  state(scope: string): StateStore;
  close(): Promise<void>;
}

/** Stable partition for a key (FNV-1a); events without a key are spread round-robin by the driver. */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** Event ids are `<partition>-<ms>-<seq>`: unique within a topic and ordered within a partition. */
export function formatEventId(partition: number, streamId: string): string {
  return `${partition}-${streamId}`;
}

export function parseEventId(id: string): { partition: number; streamId: string } {
  const m = /^(\d+)-(\d+-\d+)$/.exec(id);
  if (!m) throw new Error(`"${id}" is not an event id (expected <partition>-<ms>-<seq>, such as 0-1700000000000-0)`);
  return { partition: Number(m[1]), streamId: m[2] };
}

/** Compares two stream ids (`<ms>-<seq>`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = Number(am) - Number(bm);
  return d !== 0 ? Math.sign(d) : Math.sign(Number(as) - Number(bs));
}
