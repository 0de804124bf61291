// How Sluice reaches Redis, for the storage and the work queue alike: one Redis from a URL, or a Redis Cluster
// from any of its nodes; the reconnect policy every client shares (capped exponential backoff, for ever, so a
// restarted Redis is used again without operator action); and a readiness wait that says plainly when Redis
// cannot be reached.

import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { RetryableError } from '../errors.js';

export type RedisClient = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** A cluster node as `host:port`, `redis://[user:password@]host:port` or `{ host, port }`. */
export type ClusterNodeAddress = string | { host: string; port: number };

export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS); default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A Redis Cluster, reached through any of these nodes; it discovers the others. */
  cluster?: { nodes: ClusterNodeAddress[] };
}

export type ReconnectStrategy = (times: number) => number | null;

/**
 * Delay before reconnect attempt `times` (1, 2 …): 100, 200, 400 … ms, capped at `capMs` (default 2000). Never
 * gives up while the owner runs; once `isClosing()` the next failed attempt ends the client (ioredis then rejects
 * its queued commands).
 */
export function reconnectDelay(capMs = 2000, isClosing: () => boolean = () => false): ReconnectStrategy {
  return (times) => (isClosing() ? null : Math.min(50 * 2 ** Math.min(times, 16), capMs));
}

/** Commands that wait through a Redis restart or failover instead of failing. */
export const WAITING_COMMANDS: RedisOptions = {
  // Commands wait for the connection to come back rather than fail after a few reconnects.
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  // After a failover the old master answers READONLY: reconnect (to the new master) and send the command again.
  reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
};

function clusterNode(node: ClusterNodeAddress): { node: ClusterNode; auth: RedisOptions } {
  if (typeof node !== 'string') return { node, auth: {} };
  if (!node.includes('://')) {
    const [host, port] = node.split(':');
    return { node: { host, port: Number(port || 6379) }, auth: {} };
  }
  const url = new URL(node);
  const auth: RedisOptions = {};
  if (url.username) auth.username = decodeURIComponent(url.username);
  if (url.password) auth.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') auth.tls = {};
  return { node: { host: url.hostname, port: Number(url.port || 6379) }, auth };
}

/**
 * Opens one Redis, or a Redis Cluster when `target.cluster` is set. `options` apply to the connection (on a
 * cluster, to the connection to every node) and `retry` is the reconnect policy of each. Whoever opens a client
 * closes it.
 */
export function openClient(
  target: RedisTarget,
  options: RedisOptions = WAITING_COMMANDS,
  retry: ReconnectStrategy = reconnectDelay(),
): RedisClient {
  if (target.cluster) {
    const nodes = target.cluster.nodes.map(clusterNode);
    return new Cluster(
      nodes.map((n) => n.node),
      {
        clusterRetryStrategy: retry,
        clusterNodeRetryStrategy: retry,
        enableOfflineQueue: true,
        redisOptions: { ...options, ...nodes.find((n) => Object.keys(n.auth).length > 0)?.auth },
      },
    );
  }
  return new Redis(target.url ?? DEFAULT_REDIS_URL, { ...options, retryStrategy: retry });
}

/**
 * Whether the Redis at `url` is a node of a Redis Cluster (`cluster_enabled:1`), for commands given only a URL.
 * False when it cannot be asked: connecting for real then reports why.
 */
export async function isClusterNode(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return /^cluster_enabled:1/m.test(await probe.info('cluster'));
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Where the target is, for messages: hosts and ports, never credentials. */
export function describeTarget(target: RedisTarget): string {
  if (target.cluster) {
    return `Redis Cluster ${target.cluster.nodes
      .map((n) => {
        const { node } = clusterNode(n);
        return typeof node === 'object' ? `${node.host}:${node.port}` : String(node);
      })
      .join(', ')}`;
  }
  const url = new URL(target.url ?? DEFAULT_REDIS_URL);
  return `Redis at ${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : ''}`;
}

/**
 * Resolves once `client` answers PING; after `timeoutMs` throws a RetryableError (`E_REDIS_UNREACHABLE`) that
 * names the target and the last connection error.
 */
export async function waitUntilReady(client: RedisClient, where: string, timeoutMs: number): Promise<void> {
  let lastError: Error | undefined;
  const onError = (err: Error) => {
    lastError = err;
  };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const reason = lastError ? ` (last error: ${lastError.message})` : '';
          reject(
            new RetryableError(
              `cannot reach ${where} within ${timeoutMs} ms${reason}; check that Redis runs and that the address ` +
                'in `redis:` is right',
              { code: 'E_REDIS_UNREACHABLE', cause: lastError },
            ),
          );
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}
