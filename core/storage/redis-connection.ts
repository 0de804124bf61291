// How the Redis storage driver opens its connections: one Redis or a Redis Cluster, commands that wait through a
// Redis restart instead of failing (no retry limit per command, reconnects with capped exponential backoff), and
// a readiness wait that says plainly when Redis cannot be reached.

import { Cluster, type ClusterNode, Redis, type RedisOptions } from 'ioredis';
import { RetryableError } from '../errors.js';

export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS); default `redis://127.0.0.1:6379`. */
  url?: string;
  /** A Redis Cluster, reached through any of these nodes (`host:port`, `redis://…` or `{ host, port }`). */
  cluster?: { nodes: Array<string | { host: string; port: number }> };
}

/** Delay before reconnect attempt `times` (1, 2 …): 100 ms doubling to at most 2 s, for ever. */
export function reconnectDelay(times: number): number {
  return Math.min(100 * 2 ** Math.min(Math.max(times - 1, 0), 5), 2000);
}

const commandOptions: RedisOptions = {
  // Commands wait for the connection to come back rather than fail after a few reconnects.
  maxRetriesPerRequest: null,
  enableOfflineQueue: true,
  // After a failover the old master answers READONLY: reconnect (to the new master) and send the command again.
  reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
};

function clusterNode(node: string | { host: string; port: number }): { node: ClusterNode; auth: RedisOptions } {
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

export function openClient(target: RedisTarget): Redis | Cluster {
  if (target.cluster) {
    const nodes = target.cluster.nodes.map(clusterNode);
    return new Cluster(
      nodes.map((n) => n.node),
      {
        clusterRetryStrategy: reconnectDelay,
        clusterNodeRetryStrategy: reconnectDelay,
        enableOfflineQueue: true,
        redisOptions: { ...commandOptions, ...nodes.find((n) => Object.keys(n.auth).length > 0)?.auth },
      },
    );
  }
  return new Redis(target.url ?? 'redis://127.0.0.1:6379', { ...commandOptions, retryStrategy: reconnectDelay });
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
  const url = new URL(target.url ?? 'redis://127.0.0.1:6379');
  return `Redis at ${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : ''}`;
}

/**
 * Resolves once `client` answers PING; after `timeoutMs` throws a RetryableError (`E_REDIS_UNREACHABLE`) that
 * names the target and the last connection error.
 */
export async function waitUntilReady(client: Redis | Cluster, where: string, timeoutMs: number): Promise<void> {
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
