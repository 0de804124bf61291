// The embedded storage driver: topics, subscriptions and state in this process's memory. Not durable, one process;
// it is the hot path of `sluice run` without Redis, so appends and claims do no copying and no polling: ids are
// found by binary search and a waiting claim is woken by the append itself.

import type { SluiceEvent } from '../event.js';
import type { StateStore } from '../plugin.js';
import {
  checkClaimCount,
  checkEvents,
  checkPartition,
  checkPartitionCount,
  checkRetention,
  checkTopicName,
  partitionsMismatch,
  readPartitions,
  storageClosed,
  streamIdIn,
  subscriptionUnknown,
  topicUnknown,
} from './contract-checks.js';
import { idOf, MemoryPartition, ORIGIN, parseStreamId, type StreamPosition } from './memory-partition.js';
import { PendingList } from './memory-pending.js';
import { pagedScan } from './paged-scan.js';
import {
  type AppendOptions,
  type AppendResult,
  type ClaimOptions,
  checkpointText,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type PartitionPosition,
  type PendingEvent,
  parseEventId,
  partitionFor,
  type ReadOptions,
  type RetentionSpec,
  type ScanOptions,
  type SeekTarget,
  type Storage,
  type StoredEvent,
  type TopicInfo,
  type TopicSpec,
} from './storage.js';
import { mergeInStoredOrder } from './stored-order.js';

/** A subscription's place in one partition: like a Redis consumer group's last id and pending entries list. */
interface Cursor {
  last: StreamPosition;
  /**
   * Handed out, not acknowledged, with the consumer each was claimed under, in id order because claims only move
   * forward. The event itself stays in its partition (retention keeps what is pending, or drops it from here too).
   */
  pending: PendingList;
}

interface MemoryTopic {
  partitions: MemoryPartition[];
  retention: RetentionSpec;
  /** Round-robin counter for events without a key. */
  spread: number;
  subscriptions: Map<string, Cursor[]>;
  /** Checkpoints as JSON text, so they come back as copies with the same JSON semantics as in Redis. */
  checkpoints: Map<string, string>;
  idempotency: ExpiringMap<string[]>;
  lost: number;
}

// Expired entries are dropped when read and, so that keys never read again do not pile up, in a sweep every
// SWEEP_EVERY writes (amortised O(1) per write).
const SWEEP_EVERY = 1024;

class ExpiringMap<V> {
  private entries = new Map<string, { value: V; expiresAt: number }>();
  private writes = 0;

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number | undefined, now = Date.now()): void {
    if (++this.writes % SWEEP_EVERY === 0) this.sweep(now);
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : now + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

const isOrigin = ([ms, seq]: StreamPosition) => ms === 0 && seq === 0;

/** In-process storage for embedded mode (`sluice run` without `redis:`). Events live as long as the process. */
export class MemoryStorage implements Storage {
  readonly kind = 'memory' as const;
  private topics = new Map<string, MemoryTopic>();
  private readonly stateValues = new ExpiringMap<string>();
  private closed = false;

  async ensureTopic(spec: TopicSpec): Promise<void> {
    this.checkOpen();
    checkTopicName(spec.name);
    checkPartitionCount(spec.name, spec.partitions);
    checkRetention(spec.name, spec.retention);
    const existing = this.topics.get(spec.name);
    if (existing) {
      if (existing.partitions.length !== spec.partitions) {
        throw partitionsMismatch(spec.name, existing.partitions.length, spec.partitions);
      }
      existing.retention = { ...spec.retention };
      return;
    }
    this.topics.set(spec.name, {
      partitions: Array.from({ length: spec.partitions }, (_, p) => new MemoryPartition(p)),
      retention: { ...spec.retention },
      spread: 0,
      subscriptions: new Map(),
      checkpoints: new Map(),
      idempotency: new ExpiringMap(),
      lost: 0,
    });
  }

  async listTopics(): Promise<string[]> {
    this.checkOpen();
    return [...this.topics.keys()].sort();
  }

  async topicInfo(topic: string): Promise<TopicInfo> {
    const t = this.topic(topic);
    let length = 0;
    let oldestTime: number | null = null;
    let newestTime: number | null = null;
    for (const p of t.partitions) {
      if (p.length === 0) continue;
      length += p.length;
      const oldest = p.positionAt(p.start)[0];
      const newest = p.positionAt(p.end - 1)[0];
      oldestTime = oldestTime === null ? oldest : Math.min(oldestTime, oldest);
      newestTime = newestTime === null ? newest : Math.max(newestTime, newest);
    }
    return {
      name: topic,
      partitions: t.partitions.length,
      length,
      oldestTime,
      newestTime,
      lost: t.lost,
      subscriptions: [...t.subscriptions.keys()].sort(),
    };
  }

  async append(topic: string, events: readonly SluiceEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    const t = this.topic(topic);
    checkEvents(topic, events);
    const now = Date.now();
    if (options.idempotencyKey !== undefined) {
      const first = t.idempotency.get(options.idempotencyKey, now);
      if (first !== undefined) return { ids: [...first], duplicate: true };
    }
    const expected = options.checkpoint?.ifStillAt;
    if (expected && t.checkpoints.get(options.checkpoint!.source) !== checkpointText(expected.value)) {
      return { ids: [], duplicate: false, checkpointMoved: true };
    }
    const count = t.partitions.length;
    const ids = new Array<string>(events.length);
    const touched = new Set<MemoryPartition>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const index = e.key === null ? t.spread++ % count : partitionFor(e.key, count);
      const partition = t.partitions[index];
      ids[i] = partition.append(e, now);
      touched.add(partition);
    }
    if (options.checkpoint) this.writeCheckpoint(t, options.checkpoint.source, options.checkpoint.value);
    if (options.idempotencyKey !== undefined) {
      t.idempotency.set(options.idempotencyKey, ids, options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, now);
    }
    for (const partition of touched) partition.wake();
    // The idempotency entry keeps `ids`: the caller gets a copy of it then.
    return { ids: options.idempotencyKey === undefined ? ids : [...ids], duplicate: false };
  }

  async read(topic: string, options: ReadOptions): Promise<StoredEvent[]> {
    const t = this.topic(topic);
    const chosen = readPartitions(topic, t.partitions.length, options);
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const lists: StoredEvent[][] = [];
    for (const index of chosen) {
      const p = t.partitions[index];
      let from = p.start;
      let to = p.end;
      if (options.fromId !== undefined)
        from = Math.max(from, p.lowerBound(this.position(topic, index, options.fromId)));
      if (options.afterId !== undefined) {
        from = Math.max(from, p.upperBound(this.position(topic, index, options.afterId)));
      }
      if (options.fromTime !== undefined) from = Math.max(from, p.lowerBound([options.fromTime, 0]));
      if (options.toId !== undefined) to = Math.min(to, p.upperBound(this.position(topic, index, options.toId)));
      if (options.toTime !== undefined) to = Math.min(to, p.upperBound([options.toTime, Number.MAX_VALUE]));
      if (from < to) lists.push(p.slice(from, Math.min(to, from + limit)));
    }
    return mergeInStoredOrder(lists, limit);
  }

  async *scan(topic: string, options: ScanOptions = {}): AsyncGenerator<StoredEvent[]> {
    yield* pagedScan((t, o) => this.read(t, o), topic, this.topic(topic).partitions.length, options);
  }

  async trim(topic: string): Promise<{ trimmed: number; lost: number }> {
    const t = this.topic(topic);
    const { maxEvents, maxAgeMs, allowLoss = false } = t.retention;
    if (maxEvents === undefined && maxAgeMs === undefined) return { trimmed: 0, lost: 0 };
    const now = Date.now();
    let trimmed = 0;
    let lost = 0;
    for (const p of t.partitions) {
      let cut = p.start;
      if (maxEvents !== undefined) cut = Math.max(cut, p.end - maxEvents);
      if (maxAgeMs !== undefined) cut = Math.max(cut, p.lowerBound([now - maxAgeMs, 0]));
      const cursors = [...t.subscriptions.values()].map((c) => c[p.index]);
      if (!allowLoss) {
        for (const c of cursors) cut = Math.min(cut, this.firstUnacknowledged(p, c));
      } else if (cut > p.start) {
        lost += this.dropUnacknowledged(p, cursors, cut);
      }
      if (cut > p.start) {
        trimmed += cut - p.start;
        p.dropBefore(cut);
      }
    }
    t.lost += lost;
    return { trimmed, lost };
  }

  /** Index of the first event a subscription still needs: its oldest pending one, or the first not handed out. */
  private firstUnacknowledged(p: MemoryPartition, c: Cursor): number {
    const next = p.upperBound(c.last);
    const oldestPending = c.pending.first();
    if (oldestPending === undefined) return next;
    return Math.min(next, p.lowerBound(parseStreamId(parseEventId(oldestPending).streamId)));
  }

  /** Counts the events before `cut` that some subscription still needs, once each, and forgets them as pending. */
  private dropUnacknowledged(p: MemoryPartition, cursors: Cursor[], cut: number): number {
    if (cursors.length === 0) return 0;
    let undelivered = cut;
    for (const c of cursors) undelivered = Math.min(undelivered, p.upperBound(c.last));
    let lost = cut - undelivered;
    for (let i = p.start; i < undelivered; i++) {
      const id = p.idAt(i);
      if (cursors.some((c) => c.pending.has(id))) lost++;
    }
    for (const c of cursors)
      c.pending.forgetWhile((id) => p.lowerBound(parseStreamId(parseEventId(id).streamId)) < cut);
    return lost;
  }

  async getCheckpoint(topic: string, source: string): Promise<unknown> {
    const text = this.topic(topic).checkpoints.get(source);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async setCheckpoint(topic: string, source: string, value: unknown): Promise<void> {
    this.writeCheckpoint(this.topic(topic), source, value);
  }

  private writeCheckpoint(t: MemoryTopic, source: string, value: unknown): void {
    if (value === undefined) t.checkpoints.delete(source);
    else t.checkpoints.set(source, checkpointText(value)!);
  }

  async listCheckpoints(topic: string): Promise<Array<{ source: string; value: unknown }>> {
    const t = this.topic(topic);
    return [...t.checkpoints.keys()]
      .sort()
      .map((source) => ({ source, value: JSON.parse(t.checkpoints.get(source)!) }));
  }

  async ensureSubscription(topic: string, subscription: string, start: 'beginning' | 'end'): Promise<void> {
    const t = this.topic(topic);
    if (t.subscriptions.has(subscription)) return;
    t.subscriptions.set(
      subscription,
      t.partitions.map((p) => ({
        last: start === 'beginning' ? ORIGIN : [p.lastMs, p.lastSeq],
        pending: new PendingList(),
      })),
    );
  }

  async listSubscriptions(topic: string): Promise<string[]> {
    return [...this.topic(topic).subscriptions.keys()].sort();
  }

  async claim(topic: string, subscription: string, partition: number, options: ClaimOptions): Promise<StoredEvent[]> {
    checkClaimCount(topic, options.count);
    const deadline = Date.now() + (options.blockMs ?? 0);
    for (;;) {
      const claimed = this.take(topic, subscription, partition, options.count, options.consumer);
      if (claimed.length > 0 || !options.blockMs) return claimed;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return claimed;
      await this.topic(topic).partitions[partition].waitForAppend(remaining);
      if (this.closed) return [];
    }
  }

  private take(topic: string, subscription: string, partition: number, count: number, consumer: string): StoredEvent[] {
    const cursor = this.cursor(topic, subscription, partition);
    const p = this.topic(topic).partitions[partition];
    const from = p.upperBound(cursor.last);
    const to = Math.min(p.end, from + count);
    if (from >= to) return [];
    const claimed = p.slice(from, to);
    const ids = new Array<string>(claimed.length);
    for (let i = 0; i < claimed.length; i++) ids[i] = claimed[i].id;
    cursor.pending.claim(ids, consumer);
    cursor.last = p.positionAt(to - 1);
    return claimed;
  }

  async pending(topic: string, subscription: string, partition: number, limit: number): Promise<PendingEvent[]> {
    const p = this.topic(topic).partitions[partition];
    const out: PendingEvent[] = [];
    for (const [id, consumer] of this.cursor(topic, subscription, partition).pending.entries()) {
      if (out.length >= limit) break;
      out.push({ ...p.at(p.lowerBound(parseStreamId(parseEventId(id).streamId))), consumer });
    }
    return out;
  }

  async ack(topic: string, subscription: string, partition: number, ids: readonly string[]): Promise<void> {
    const cursor = this.cursor(topic, subscription, partition);
    // Only an id that was not pending needs the full check (an id of another partition is never pending here).
    for (const id of cursor.pending.acknowledge(ids)) streamIdIn(topic, partition, id);
  }

  async seek(topic: string, subscription: string, target: SeekTarget): Promise<void> {
    const t = this.topic(topic);
    const cursors = t.subscriptions.get(subscription);
    if (!cursors) throw subscriptionUnknown(topic, subscription);
    if (target.to === 'offset') {
      const { partition } = parseEventId(target.id);
      checkPartition(topic, t.partitions.length, partition);
      cursors[partition] = { last: parseStreamId(streamIdIn(topic, partition, target.id)), pending: new PendingList() };
      return;
    }
    t.partitions.forEach((p, index) => {
      let last: StreamPosition = ORIGIN;
      if (target.to === 'end') last = [p.lastMs, p.lastSeq];
      else if (target.to === 'time') {
        // The last event stored before the time, so that the first one at or after it is delivered next.
        const first = p.lowerBound([target.time, 0]);
        if (first > p.start) last = p.positionAt(first - 1);
      }
      cursors[index] = { last, pending: new PendingList() };
    });
  }

  async positions(topic: string, subscription: string): Promise<PartitionPosition[]> {
    const t = this.topic(topic);
    const cursors = t.subscriptions.get(subscription);
    if (!cursors) throw subscriptionUnknown(topic, subscription);
    return cursors.map((c, index) => {
      const p = t.partitions[index];
      return {
        partition: index,
        lastDeliveredId: isOrigin(c.last) ? null : idOf(index, c.last[0], c.last[1]),
        pending: c.pending.size,
        lag: p.end - p.upperBound(c.last),
      };
    });
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const t = this.topic(topic);
    if (!t.subscriptions.delete(subscription)) return;
    // A claim waiting on the deleted subscription wakes up and finds it gone.
    for (const p of t.partitions) p.wake();
  }

  state(scope: string): StateStore {
    const key = (k: string) => `${scope}\u0000${k}`;
    const values = this.stateValues;
    return {
      get: async (k) => {
        this.checkOpen();
        return values.get(key(k));
      },
      set: async (k, value, ttlMs) => {
        this.checkOpen();
        values.set(key(k), value, ttlMs);
      },
      setIfAbsent: async (k, value, ttlMs) => {
        this.checkOpen();
        if (values.get(key(k)) !== undefined) return false;
        values.set(key(k), value, ttlMs);
        return true;
      },
      delete: async (k) => {
        this.checkOpen();
        values.delete(key(k));
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.topics.values()) for (const p of t.partitions) p.wake();
  }

  private checkOpen(): void {
    if (this.closed) throw storageClosed(this.kind);
  }

  private topic(name: string): MemoryTopic {
    this.checkOpen();
    const t = this.topics.get(name);
    if (!t) throw topicUnknown(name);
    return t;
  }

  private cursor(topic: string, subscription: string, partition: number): Cursor {
    const t = this.topic(topic);
    const cursors = t.subscriptions.get(subscription);
    if (!cursors) throw subscriptionUnknown(topic, subscription);
    checkPartition(topic, t.partitions.length, partition);
    return cursors[partition];
  }

  private position(topic: string, partition: number, eventId: string): StreamPosition {
    return parseStreamId(streamIdIn(topic, partition, eventId));
  }
}
