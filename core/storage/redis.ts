// The Redis storage driver: a topic partition is a Redis Stream, a subscription is a consumer group on every
// partition of its topic. All keys of a topic share its hash tag (keys.ts), so each multi-key step is one Lua
// script, atomic even on Redis Cluster; an append is one round trip per batch whatever its size. Blocking claims
// wait on connections of their own, so that a waiting claim never holds up the commands of anyone else.

import type { Cluster, Redis } from 'ioredis';
import { RetryableError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type { StateStore } from '../plugin.js';
import {
  checkClaimCount,
  checkEvents,
  checkPartition,
  checkPartitionCount,
  checkRetention,
  checkTopicName,
  readPartitions,
  storageClosed,
  streamIdIn,
  topicUnknown,
} from './contract-checks.js';
import { RedisKeys } from './keys.js';
import { pagedScan } from './paged-scan.js';
import { describeTarget, openClient, type RedisTarget, waitUntilReady } from './redis-connection.js';
import { entryToEvent, packEvents } from './redis-entry.js';
import {
  assertNoEviction,
  assertRedisVersion,
  isCluster,
  type RedisErrorContext,
  translateRedisError,
} from './redis-errors.js';
import { decodeAppendRecord, type StorageScript, storageScripts } from './redis-scripts.js';
import {
  type AppendOptions,
  type AppendResult,
  type ClaimOptions,
  checkpointText,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  formatEventId,
  type PartitionPosition,
  type PendingEvent,
  parseEventId,
  partitionFor,
  type ReadOptions,
  type ScanOptions,
  type SeekTarget,
  type Storage,
  type StoredEvent,
  type TopicInfo,
  type TopicSpec,
} from './storage.js';
import { mergeInStoredOrder } from './stored-order.js';

export { assertNoEviction } from './redis-errors.js';

export interface RedisStorageOptions extends RedisTarget {
  /** A connection to use instead of opening one from `url`/`cluster`; `close()` leaves it open. */
  client?: Redis | Cluster;
  /** Prefix of every key Sluice writes; default `sluice`. Two deployments on one Redis need two prefixes. */
  prefix?: string;
}

export interface RedisConnectOptions extends RedisStorageOptions {
  /** How long `connect()` waits for Redis to answer, ms; default 10000. */
  connectTimeoutMs?: number;
}

type Client = Redis | Cluster;
type Entry = [id: Buffer, fields: Buffer[] | null];
type ScriptArg = string | number | Buffer;

// Retention drops at most this many entries per partition per script run, so that one trim never blocks Redis
// for long; trim() runs the script again while there is more.
const TRIM_BATCH = 5000;
// Counting a lag Redis cannot tell (after a seek into the middle of a partition) goes in steps this big.
const COUNT_BATCH = 10_000;
// Blocking connections kept open for the next waiting claim; more are opened when more claims wait at once.
const IDLE_BLOCKERS = 16;
// Stream ids cover 64-bit sequence numbers: an end bound of "every id of that millisecond".
const LAST_SEQ = Number.POSITIVE_INFINITY;

interface Bound {
  ms: number;
  seq: number;
  exclusive: boolean;
}

const boundText = (b: Bound) =>
  `${b.exclusive ? '(' : ''}${b.ms}-${b.seq === LAST_SEQ ? '18446744073709551615' : b.seq}`;

function streamBound(streamId: string, exclusive: boolean): Bound {
  const dash = streamId.indexOf('-');
  return { ms: Number(streamId.slice(0, dash)), seq: Number(streamId.slice(dash + 1)), exclusive };
}

const later = (a: Bound, b: Bound) =>
  a.ms > b.ms || (a.ms === b.ms && (a.seq > b.seq || (a.seq === b.seq && a.exclusive)));

/** What an append refused while Redis is away suggests as Retry-After. */
const UNAVAILABLE_RETRY_AFTER_MS = 1000;

/** Topics, subscriptions and state in Redis (7 or newer, one server or a Cluster). */
export class RedisStorage implements Storage {
  readonly kind = 'redis' as const;
  readonly keys: RedisKeys;
  private readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly where: string;
  private readonly partitionCounts = new Map<string, number>();
  private readonly idleBlockers: Client[] = [];
  private readonly blockers = new Set<Client>();
  // Work that may not wait for Redis (withoutWaiting), aborted when the connection drops.
  private readonly dropWatchers = new Set<AbortController>();
  private readonly abortDropWatchers = () => {
    for (const watcher of this.dropWatchers) watcher.abort();
    this.dropWatchers.clear();
  };
  private closed = false;

  constructor(options: RedisStorageOptions = {}) {
    this.keys = new RedisKeys(options.prefix ?? 'sluice');
    this.client = options.client ?? openClient(options);
    this.ownsClient = options.client === undefined;
    this.where = options.client ? 'Redis' : describeTarget(options);
    // Connection errors surface as failed or waiting commands; without a listener ioredis would print each one.
    if (this.ownsClient) this.client.on('error', () => {});
    this.client.on('close', this.abortDropWatchers);
    for (const [name, lua] of Object.entries(storageScripts)) this.client.defineCommand(name, { lua });
  }

  /**
   * Opens the storage and checks the Redis behind it: it answers within `connectTimeoutMs`, runs Redis 7 or
   * newer, and never evicts keys (see {@link assertNoEviction}).
   */
  static async connect(options: RedisConnectOptions = {}): Promise<RedisStorage> {
    const storage = new RedisStorage(options);
    try {
      await waitUntilReady(storage.client, storage.where, options.connectTimeoutMs ?? 10_000);
      await assertRedisVersion(storage.client);
      await assertNoEviction(storage.client);
    } catch (err) {
      await storage.close();
      throw err;
    }
    return storage;
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    checkTopicName(spec.name);
    checkPartitionCount(spec.name, spec.partitions);
    checkRetention(spec.name, spec.retention);
    const { maxEvents, maxAgeMs, allowLoss } = spec.retention ?? {};
    await this.run(
      { operation: `create topic "${spec.name}"`, topic: spec.name, partitions: spec.partitions },
      async () => {
        await this.script(
          'sluiceEnsureTopic',
          [this.keys.topicMeta(spec.name)],
          [spec.partitions, maxEvents ?? '', maxAgeMs ?? '', allowLoss ? '1' : ''],
        );
        // The index lives outside the topic's hash slot, so it is written on its own; ensureTopic is idempotent.
        await this.client.sadd(this.keys.topicIndex(), spec.name);
      },
    );
    this.partitionCounts.set(spec.name, spec.partitions);
  }

  async listTopics(): Promise<string[]> {
    return this.run({ operation: 'list topics' }, async () =>
      (await this.client.smembers(this.keys.topicIndex())).sort(),
    );
  }

  async memory(): Promise<{ usedBytes: number; maxBytes: number | null }> {
    const nodes = isCluster(this.client) ? this.client.nodes('master') : [this.client];
    let fullest = { usedBytes: 0, maxBytes: null as number | null, share: -1 };
    for (const node of nodes) {
      const info = await node.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      const max = Number(/maxmemory:(\d+)/.exec(info)?.[1] ?? 0);
      const share = max > 0 ? used / max : 0;
      if (share > fullest.share) fullest = { usedBytes: used, maxBytes: max > 0 ? max : null, share };
    }
    return { usedBytes: fullest.usedBytes, maxBytes: fullest.maxBytes };
  }

  async topicInfo(topic: string): Promise<TopicInfo> {
    return this.run({ operation: `describe topic "${topic}"`, topic }, async () => {
      const partitions = await this.partitionsOf(topic);
      const [count, length, oldest, newest, lost, memory, names] = (await this.script(
        'sluiceTopicInfo',
        [this.keys.topicMeta(topic), this.keys.topicLost(topic), ...this.partitionKeys(topic, partitions)],
        [],
      )) as [number, number, string | null, string | null, number, number, string[]];
      const msOf = (id: string | null) => (id ? Number(id.slice(0, id.indexOf('-'))) : null);
      return {
        name: topic,
        partitions: count,
        length,
        oldestTime: msOf(oldest),
        newestTime: msOf(newest),
        memoryBytes: memory,
        lost,
        subscriptions: names.sort(),
      };
    });
  }

  async append(topic: string, events: readonly SluiceEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    return this.run({ operation: `append to topic "${topic}"`, topic }, async () => {
      const partitions = await this.partitionsOf(topic);
      checkEvents(topic, events);
      const { checkpoint, idempotencyKey } = options;
      if (events.length === 0 && !checkpoint && idempotencyKey === undefined) return { ids: [], duplicate: false };
      const keys = [this.keys.topicMeta(topic), this.keys.topicSpread(topic), this.keys.checkpoints(topic)];
      keys.push(...this.partitionKeys(topic, partitions));
      if (idempotencyKey !== undefined) keys.push(this.keys.idempotency(topic, idempotencyKey));
      const args: ScriptArg[] = [
        partitions,
        Math.max(1, Math.ceil(options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS)),
        checkpoint ? (checkpoint.value === undefined ? 'clear' : 'set') : '',
        checkpoint?.source ?? '',
        checkpointText(checkpoint?.value) ?? '',
        events.length,
        0,
        // The checkpoint the append expects: '' no condition, '-' none stored yet, '=' the text that follows.
        checkpoint?.ifStillAt ? (checkpoint.ifStillAt.value === undefined ? '-' : '=') : '',
        checkpointText(checkpoint?.ifStillAt?.value) ?? '',
      ];
      let keyless = 0;
      const packed = packEvents(events);
      for (let i = 0; i < events.length; i++) {
        const key = events[i].key;
        if (key === null) keyless++;
        args.push(key === null ? -1 : partitionFor(key, partitions), packed[i]);
      }
      args[6] = keyless;
      const [outcome, record] = (await this.script('sluiceAppend', keys, args)) as [number, string];
      if (outcome === 2) return { ids: [], duplicate: false, checkpointMoved: true };
      return { ids: decodeAppendRecord(record), duplicate: outcome === 1 };
    });
  }

  async read(topic: string, options: ReadOptions): Promise<StoredEvent[]> {
    return this.run({ operation: `read topic "${topic}"`, topic }, async () => {
      const partitions = await this.partitionsOf(topic);
      const chosen = readPartitions(topic, partitions, options);
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const ranges: Array<{ partition: number; start: string; end: string }> = [];
      for (const partition of chosen) {
        const range = this.range(topic, partition, options);
        if (range) ranges.push({ partition, ...range });
      }
      if (ranges.length === 0) return [];
      const pipeline = this.client.pipeline();
      for (const r of ranges) {
        const count = Number.isFinite(limit) ? ['COUNT', limit] : [];
        pipeline.callBuffer('XRANGE', this.keys.partition(topic, r.partition), r.start, r.end, ...count);
      }
      const replies = (await pipeline.exec()) ?? [];
      const lists = replies.map(([err, entries], i) => {
        if (err) throw err;
        return this.toEvents(ranges[i].partition, entries as Entry[]);
      });
      return mergeInStoredOrder(lists, limit);
    });
  }

  async *scan(topic: string, options: ScanOptions = {}): AsyncGenerator<StoredEvent[]> {
    const partitions = await this.run({ operation: `scan topic "${topic}"`, topic }, () => this.partitionsOf(topic));
    yield* pagedScan((t, o) => this.read(t, o), topic, partitions, options);
  }

  /** XRANGE bounds for a read of one partition, or undefined when no id can match. */
  private range(topic: string, partition: number, o: ReadOptions): { start: string; end: string } | undefined {
    const lower: Bound[] = [];
    if (o.fromId !== undefined) lower.push(streamBound(streamIdIn(topic, partition, o.fromId), false));
    if (o.afterId !== undefined) lower.push(streamBound(streamIdIn(topic, partition, o.afterId), true));
    if (o.fromTime !== undefined && o.fromTime > 0) lower.push({ ms: Math.ceil(o.fromTime), seq: 0, exclusive: false });
    const upper: Bound[] = [];
    if (o.toId !== undefined) upper.push(streamBound(streamIdIn(topic, partition, o.toId), false));
    if (o.toTime !== undefined) {
      if (o.toTime < 0) return undefined;
      upper.push({ ms: Math.floor(o.toTime), seq: LAST_SEQ, exclusive: false });
    }
    const start = lower.reduce<Bound | undefined>((a, b) => (a === undefined || later(b, a) ? b : a), undefined);
    const end = upper.reduce<Bound | undefined>((a, b) => (a === undefined || later(a, b) ? b : a), undefined);
    return { start: start ? boundText(start) : '-', end: end ? boundText(end) : '+' };
  }

  async trim(topic: string): Promise<{ trimmed: number; lost: number }> {
    return this.run({ operation: `apply retention to topic "${topic}"`, topic }, async () => {
      const partitions = await this.partitionsOf(topic);
      const keys = [this.keys.topicMeta(topic), this.keys.topicLost(topic), ...this.partitionKeys(topic, partitions)];
      let trimmed = 0;
      let lost = 0;
      for (;;) {
        const [t, l, more] = (await this.script('sluiceTrim', keys, [TRIM_BATCH])) as [number, number, number];
        trimmed += t;
        lost += l;
        if (more !== 1) return { trimmed, lost };
      }
    });
  }

  async getCheckpoint(topic: string, source: string): Promise<unknown> {
    return this.run({ operation: `read checkpoint "${source}" of topic "${topic}"`, topic }, async () => {
      await this.partitionsOf(topic);
      const text = await this.client.hget(this.keys.checkpoints(topic), source);
      return text === null ? undefined : JSON.parse(text);
    });
  }

  async setCheckpoint(topic: string, source: string, value: unknown): Promise<void> {
    await this.run({ operation: `set checkpoint "${source}" of topic "${topic}"`, topic }, async () => {
      await this.partitionsOf(topic);
      const key = this.keys.checkpoints(topic);
      if (value === undefined) await this.client.hdel(key, source);
      else await this.client.hset(key, source, checkpointText(value)!);
    });
  }

  async listCheckpoints(topic: string): Promise<Array<{ source: string; value: unknown }>> {
    return this.run({ operation: `list checkpoints of topic "${topic}"`, topic }, async () => {
      await this.partitionsOf(topic);
      const all = await this.client.hgetall(this.keys.checkpoints(topic));
      return Object.keys(all)
        .sort()
        .map((source) => ({ source, value: JSON.parse(all[source]) }));
    });
  }

  async ensureSubscription(topic: string, subscription: string, start: 'beginning' | 'end'): Promise<void> {
    await this.run({ operation: `create subscription "${subscription}" on topic "${topic}"`, topic }, async () => {
      const partitions = await this.partitionsOf(topic);
      await this.script(
        'sluiceEnsureSubscription',
        [this.keys.topicMeta(topic), ...this.partitionKeys(topic, partitions)],
        [subscription, start === 'beginning' ? '0' : '$'],
      );
    });
  }

  async listSubscriptions(topic: string): Promise<string[]> {
    return this.run({ operation: `list subscriptions of topic "${topic}"`, topic }, async () => {
      await this.partitionsOf(topic);
      const names = (await this.script('sluiceSubscriptions', [this.keys.partition(topic, 0)], [])) as string[];
      return names.sort();
    });
  }

  async claim(topic: string, subscription: string, partition: number, options: ClaimOptions): Promise<StoredEvent[]> {
    const context = { operation: `claim from topic "${topic}" for "${subscription}"`, topic, subscription };
    return this.run(context, async () => {
      checkPartition(topic, await this.partitionsOf(topic), partition);
      checkClaimCount(topic, options.count);
      const key = this.keys.partition(topic, partition);
      const args: ScriptArg[] = ['GROUP', subscription, options.consumer, 'COUNT', options.count];
      const blockMs = Math.ceil(options.blockMs ?? 0);
      if (blockMs <= 0) {
        return this.claimed(partition, await this.client.callBuffer('XREADGROUP', ...args, 'STREAMS', key, '>'));
      }
      const connection = this.blocker();
      try {
        const reply = await connection.callBuffer('XREADGROUP', ...args, 'BLOCK', blockMs, 'STREAMS', key, '>');
        return this.claimed(partition, reply);
      } catch (err) {
        // close() disconnects waiting claims: they end with nothing rather than an error.
        if (this.closed) return [];
        throw err;
      } finally {
        this.release(connection);
      }
    });
  }

  /** Events of an XREADGROUP reply, which is `[[key, entries]]` in RESP2 and `[key, entries]` in RESP3. */
  private claimed(partition: number, reply: unknown): StoredEvent[] {
    if (!Array.isArray(reply) || reply.length === 0) return [];
    const entries = (Buffer.isBuffer(reply[0]) ? reply[1] : reply[0][1]) as Entry[];
    return this.toEvents(partition, entries);
  }

  async pending(topic: string, subscription: string, partition: number, limit: number): Promise<PendingEvent[]> {
    const context = { operation: `list pending events of "${subscription}" on topic "${topic}"`, topic, subscription };
    return this.run(context, async () => {
      checkPartition(topic, await this.partitionsOf(topic), partition);
      if (limit <= 0) return [];
      const [entries, consumers] = (await this.script(
        'sluicePending',
        [this.keys.partition(topic, partition)],
        [subscription, Math.floor(limit)],
        true,
      )) as [Entry[], Buffer[]];
      return this.toEvents(partition, entries).map((e, i) => ({ ...e, consumer: consumers[i].toString('utf8') }));
    });
  }

  async ack(topic: string, subscription: string, partition: number, ids: readonly string[]): Promise<void> {
    const context = { operation: `acknowledge events of "${subscription}" on topic "${topic}"`, topic, subscription };
    await this.run(context, async () => {
      checkPartition(topic, await this.partitionsOf(topic), partition);
      if (ids.length === 0) return;
      const streamIds = ids.map((id) => streamIdIn(topic, partition, id));
      await this.client.xack(this.keys.partition(topic, partition), subscription, ...streamIds);
    });
  }

  async seek(topic: string, subscription: string, target: SeekTarget): Promise<void> {
    const context = { operation: `move subscription "${subscription}" of topic "${topic}"`, topic, subscription };
    await this.run(context, async () => {
      const partitions = await this.partitionsOf(topic);
      let keys = this.partitionKeys(topic, partitions);
      let args: ScriptArg[];
      if (target.to === 'offset') {
        const { partition } = parseEventId(target.id);
        checkPartition(topic, partitions, partition);
        keys = [keys[partition]];
        args = [subscription, 'id', streamIdIn(topic, partition, target.id)];
      } else if (target.to === 'time' && target.time > 0) {
        args = [subscription, 'time', Math.ceil(target.time)];
      } else {
        args = [subscription, target.to === 'end' ? 'end' : 'beginning', ''];
      }
      await this.script('sluiceSeek', keys, args);
    });
  }

  async positions(topic: string, subscription: string): Promise<PartitionPosition[]> {
    const context = { operation: `read positions of "${subscription}" on topic "${topic}"`, topic, subscription };
    return this.run(context, async () => {
      const partitions = await this.partitionsOf(topic);
      const keys = this.partitionKeys(topic, partitions);
      const rows = (await this.script(
        'sluicePositions',
        [this.keys.topicRedisRun(topic), ...keys],
        [subscription],
      )) as Array<[string, number, number]>;
      return Promise.all(
        rows.map(async ([last, pending, lag], partition) => ({
          partition,
          lastDeliveredId: last === '0-0' ? null : formatEventId(partition, last),
          pending,
          lag: lag >= 0 ? lag : await this.countAfter(keys[partition], last),
        })),
      );
    });
  }

  /** Entries after `streamId`, counted in steps inside Redis so that no step blocks it for long. */
  private async countAfter(key: string, streamId: string): Promise<number> {
    let count = 0;
    let after = streamId;
    for (;;) {
      const [n, last] = (await this.script('sluiceCountAfter', [key], [after, COUNT_BATCH])) as [number, string];
      count += n;
      if (n < COUNT_BATCH) return count;
      after = last;
    }
  }

  async pruneConsumers(topic: string, subscription: string, idleMs: number): Promise<number> {
    const context = {
      operation: `remove idle consumers of "${subscription}" on topic "${topic}"`,
      topic,
      subscription,
    };
    return this.run(context, async () => {
      const partitions = await this.partitionsOf(topic);
      const keys = this.partitionKeys(topic, partitions);
      return Number(await this.script('sluicePruneConsumers', keys, [subscription, Math.floor(idleMs)]));
    });
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const context = { operation: `delete subscription "${subscription}" of topic "${topic}"`, topic, subscription };
    await this.run(context, async () => {
      const partitions = await this.partitionsOf(topic);
      await this.script('sluiceDeleteSubscription', this.partitionKeys(topic, partitions), [subscription]);
    });
  }

  state(scope: string): StateStore {
    const key = (k: string) => this.keys.state(scope, k);
    const context = (k: string) => ({ operation: `state "${k}" of "${scope}"` });
    const px = (ttlMs: number | undefined): ScriptArg[] =>
      ttlMs === undefined ? [] : ['PX', Math.max(1, Math.ceil(ttlMs))];
    return {
      get: (k) => this.run(context(k), async () => (await this.client.get(key(k))) ?? undefined),
      set: (k, value, ttlMs) =>
        this.run(context(k), async () => {
          await this.client.call('SET', key(k), value, ...px(ttlMs));
        }),
      setIfAbsent: (k, value, ttlMs) =>
        this.run(context(k), async () => (await this.client.call('SET', key(k), value, 'NX', ...px(ttlMs))) === 'OK'),
      delete: (k) =>
        this.run(context(k), async () => {
          await this.client.del(key(k));
        }),
    };
  }

  async withoutWaiting<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.closed) throw storageClosed(this.kind);
    // ioredis queues a command sent while Redis is away and sends again one in flight when it drops; either
    // waits for the reconnect.
    if (this.client.status !== 'ready') throw this.unavailable();
    const dropped = new AbortController();
    const onDrop = new Promise<never>((_, reject) => {
      dropped.signal.addEventListener('abort', () => reject(this.unavailable()));
    });
    this.dropWatchers.add(dropped);
    const running = work(dropped.signal);
    running.catch(() => {});
    try {
      return await Promise.race([running, onDrop]);
    } finally {
      this.dropWatchers.delete(dropped);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.off('close', this.abortDropWatchers);
    for (const connection of this.blockers) connection.disconnect();
    this.blockers.clear();
    this.idleBlockers.length = 0;
    if (!this.ownsClient) return;
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    // QUIT lets replies in flight arrive; a Redis that went down meanwhile would never answer it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.quit().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
    this.client.disconnect();
  }

  private async run<T>(context: RedisErrorContext, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw storageClosed(this.kind);
    try {
      return await work();
    } catch (err) {
      throw translateRedisError(err, context);
    }
  }

  private unavailable(): RetryableError {
    return new RetryableError(`${this.where} is not reachable right now; nothing was stored, send again shortly`, {
      code: 'E_REDIS_UNAVAILABLE',
      retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS,
    });
  }

  private script(name: StorageScript, keys: string[], args: ScriptArg[], buffers = false): Promise<unknown> {
    const command = (this.client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[
      buffers ? `${name}Buffer` : name
    ];
    return command.call(this.client, keys.length, ...keys, ...args);
  }

  /** The partition count of a topic, read once: it never changes once the topic exists. */
  private async partitionsOf(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const stored = await this.client.hget(this.keys.topicMeta(topic), 'partitions');
    if (stored === null) throw topicUnknown(topic);
    const partitions = Number(stored);
    this.partitionCounts.set(topic, partitions);
    return partitions;
  }

  private partitionKeys(topic: string, partitions: number): string[] {
    return Array.from({ length: partitions }, (_, p) => this.keys.partition(topic, p));
  }

  private toEvents(partition: number, entries: readonly Entry[] | null): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const [id, fields] of entries ?? []) {
      // An entry whose fields are gone was deleted after it was handed out; there is nothing left to deliver.
      if (fields) out.push(entryToEvent(partition, id.toString('latin1'), fields));
    }
    return out;
  }

  private blocker(): Client {
    const idle = this.idleBlockers.pop();
    if (idle) return idle;
    const connection: Client = isCluster(this.client) ? this.client.duplicate() : this.client.duplicate();
    connection.on('error', () => {});
    this.blockers.add(connection);
    return connection;
  }

  private release(connection: Client): void {
    if (!this.closed && this.idleBlockers.length < IDLE_BLOCKERS) {
      this.idleBlockers.push(connection);
      return;
    }
    this.blockers.delete(connection);
    connection.disconnect();
  }
}
