// The only module that spells Redis key names. Every key of a topic carries the topic's hash tag, so that one
// Lua script can append to any of its partitions and write the source checkpoint atomically, even on Redis
// Cluster; different topics hash to different slots and so spread across the masters. The prefix has no braces:
// Redis Cluster hashes a key by its first `{…}`, which must be the tag this module puts there.

import { ConfigError } from '../errors.js';

export class RedisKeys {
  constructor(readonly prefix: string = 'sluice') {
    if (prefix === '' || /[{}\s]/.test(prefix)) {
      throw new ConfigError(`Redis key prefix ${JSON.stringify(prefix)} must be non-empty, without braces or spaces`, {
        code: 'E_REDIS_PREFIX',
      });
    }
  }

  private tag(topic: string): string {
    return `${this.prefix}:{${topic}}`;
  }

  /** The stream holding one partition of a topic. */
  partition(topic: string, partition: number): string {
    return `${this.tag(topic)}:p${partition}`;
  }

  /** Hash of topic metadata (partition count, retention). */
  topicMeta(topic: string): string {
    return `${this.tag(topic)}:meta`;
  }

  /** Set of known topic names (one per deployment, not per topic). */
  topicIndex(): string {
    return `${this.prefix}:topics`;
  }

  /** Counter of unacknowledged events dropped by a retention that allows loss. */
  topicLost(topic: string): string {
    return `${this.tag(topic)}:lost`;
  }

  /**
   * Run id of the Redis process that last served the topic's positions: when it changes (a restart, a failover),
   * the consumer groups' read counters are reset, because Redis may have restored them stale.
   */
  topicRedisRun(topic: string): string {
    return `${this.tag(topic)}:redis-run`;
  }

  /** Round-robin counter for events without a key. */
  topicSpread(topic: string): string {
    return `${this.tag(topic)}:spread`;
  }

  /**
   * Hash of the source checkpoints of a topic (field: source name, value: JSON), under the topic's hash tag so
   * that the append script writes a checkpoint with its events; one hash lists them all without SCAN.
   */
  checkpoints(topic: string): string {
    return `${this.tag(topic)}:checkpoints`;
  }

  /** Idempotency record for an append (ids of the first store). */
  idempotency(topic: string, key: string): string {
    return `${this.tag(topic)}:idem:${key}`;
  }

  /** Key/value state for a plugin or processor scope. */
  state(scope: string, key: string): string {
    return `${this.prefix}:state:{${scope}}:${key}`;
  }

  /** Fleet-wide lock (single poller, exclusive loops). */
  lock(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }

  /** JSON of the pipeline-file version a `--watch` worker applied last: digest, worker, time (one per deployment). */
  configVersion(): string {
    return `${this.prefix}:config-version`;
  }

  /** Heartbeat of a live worker (host, pid, jobs held), with an expiry. Shares a slot with `workerIndex()`. */
  worker(id: string): string {
    return `${this.prefix}:fleet:{workers}:${id}`;
  }

  /** Sorted set of worker ids scored by when their heartbeat expires, so live workers are listed without SCAN. */
  workerIndex(): string {
    return `${this.prefix}:fleet:{workers}`;
  }

  /** Set of the delivery queues' subscriptions (one queue each), so counts cover queues no process here consumes. */
  deliveryQueues(): string {
    return `${this.prefix}:fleet:delivery-queues`;
  }

  /** Prefix under which BullMQ keeps its own keys. */
  bullPrefix(): string {
    return `${this.prefix}:bull`;
  }

  /** A BullMQ queue name, hash-tagged so that all of one queue's keys share a Redis Cluster slot. */
  bullQueueName(name: string): string {
    return `{${name}}`;
  }
}
