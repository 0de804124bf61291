// Redis errors translated into the error kinds of the system, and the checks a Redis must pass before Sluice
// stores anything in it (an eviction policy that never drops keys, a version with the stream commands we use).

import type { Cluster, Redis } from 'ioredis';
import { FatalError, RetryableError, type SluiceError } from '../errors.js';
import { partitionsMismatch, subscriptionUnknown, topicUnknown } from './contract-checks.js';

export interface RedisErrorContext {
  /** What was being done, for the message: `append to topic "gps"`. */
  operation: string;
  topic?: string;
  subscription?: string;
  partitions?: number;
}

// Redis answers with these while it cannot serve for a moment (loading, failover, a busy script, a cluster slot
// moving): trying again later helps.
const TEMPORARY = ['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY', 'NOREPLICAS'];
const AUTH = ['NOAUTH', 'WRONGPASS', 'NOPERM'];

export function translateRedisError(err: unknown, context: RedisErrorContext): SluiceError | unknown {
  if (err !== null && typeof err === 'object' && 'kind' in err) return err;
  // Redis puts "ERR " before a script's error reply that has no code word of its own.
  const message = (err instanceof Error ? err.message : String(err)).replace(/^ERR (?=SLUICE_)/, '');
  const word = message.split(' ', 1)[0];
  const { operation, topic = '', subscription = '' } = context;
  if (word === 'SLUICE_TOPIC_UNKNOWN') return topicUnknown(topic);
  if (word === 'SLUICE_TOPIC_PARTITIONS') {
    return partitionsMismatch(topic, Number(message.split(' ')[1]), context.partitions ?? Number.NaN);
  }
  if (word === 'SLUICE_SUBSCRIPTION_UNKNOWN' || word === 'NOGROUP') return subscriptionUnknown(topic, subscription);
  const cause = { cause: err };
  if (word === 'OOM') {
    return new RetryableError(
      `${operation}: Redis is out of memory (maxmemory reached) and refuses writes; it goes on once subscriptions ` +
        'catch up and retention frees space, or raise maxmemory',
      { code: 'E_REDIS_OOM', ...cause },
    );
  }
  if (TEMPORARY.includes(word)) {
    return new RetryableError(`${operation}: Redis cannot serve right now (${message})`, {
      code: 'E_REDIS_UNAVAILABLE',
      ...cause,
    });
  }
  if (AUTH.includes(word)) {
    return new FatalError(
      `${operation}: Redis refused the credentials or the command (${message}); check the user and password in ` +
        'the redis URL and the ACL of that user',
      { code: 'E_REDIS_AUTH', ...cause },
    );
  }
  if (word === 'WRONGTYPE') {
    return new FatalError(
      `${operation}: a Redis key of Sluice holds another type of value (${message}); another program uses the ` +
        'same key prefix: give Sluice its own prefix or database',
      { code: 'E_REDIS_WRONGTYPE', ...cause },
    );
  }
  if (word === 'CROSSSLOT' || (word === 'ERR' && /unknown command|unknown subcommand|syntax error/i.test(message))) {
    return new FatalError(
      `${operation}: Redis does not accept the command (${message}); Sluice needs Redis 7 or newer`,
      {
        code: 'E_REDIS_COMMAND',
        ...cause,
      },
    );
  }
  // The connection is down or was closed: ioredis reconnects, so the next try may well work.
  return new RetryableError(`${operation}: ${message}`, { code: 'E_REDIS', ...cause });
}

type Client = Redis | Cluster;

/** True for an ioredis Cluster (checked by its flag: a client may come from another copy of ioredis). */
export const isCluster = (client: Client): client is Cluster => (client as { isCluster?: boolean }).isCluster === true;

function nodesOf(client: Client): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

function addressOf(node: Redis): string {
  return `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`;
}

async function maxmemoryPolicy(node: Redis): Promise<string | undefined> {
  try {
    const reply = (await node.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    if (reply.length >= 2) return reply[1];
  } catch {
    // Managed Redis services often disable CONFIG; INFO tells the same.
  }
  const info = await node.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * Throws a FatalError (`E_REDIS_EVICTION_POLICY`) unless every master of `client` runs with
 * `maxmemory-policy noeviction`: any other policy lets Redis drop stream entries, consumer groups and
 * checkpoints when memory runs short, losing events without a trace.
 */
export async function assertNoEviction(client: Client): Promise<void> {
  for (const node of nodesOf(client)) {
    const policy = await maxmemoryPolicy(node);
    if (policy === undefined || policy === 'noeviction') continue;
    const address = addressOf(node);
    const [host, port] = address.split(':');
    throw new FatalError(
      `Redis at ${address} runs with maxmemory-policy "${policy}": when memory runs short it evicts keys, which ` +
        'would drop stored events, subscriptions and checkpoints silently. Sluice needs "noeviction" (writes are ' +
        `refused instead, and retried). Fix it now with \`redis-cli -h ${host} -p ${port} CONFIG SET ` +
        'maxmemory-policy noeviction` and for good with the line `maxmemory-policy noeviction` in redis.conf ' +
        '(or `CONFIG REWRITE`); on a managed Redis, set the parameter group or policy setting to noeviction.',
      { code: 'E_REDIS_EVICTION_POLICY', details: { address, policy } },
    );
  }
}

/** Throws a FatalError (`E_REDIS_VERSION`) when a master is older than Redis 7 (stream lag, exclusive ranges). */
export async function assertRedisVersion(client: Client): Promise<void> {
  for (const node of nodesOf(client)) {
    const version = /^redis_version:(\S+)/m.exec(await node.info('server'))?.[1] ?? '0';
    if (Number(version.split('.')[0]) >= 7) continue;
    throw new FatalError(
      `Redis at ${addressOf(node)} is version ${version}; Sluice needs Redis 7 or newer for its stream commands`,
      { code: 'E_REDIS_VERSION', details: { version } },
    );
  }
}
