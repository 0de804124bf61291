// How the queue reaches Redis: a URL or ioredis options, and the reconnect policy every client of the queue
// shares, so a restarted Redis is used again within a couple of seconds and without operator action.
import type { RedisOptions as BullmqRedisOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

export type RedisConnection = string | RedisOptions;

/**
 * Reconnect delays 100, 200, 400 … ms, capped at `capMs`. Never gives up while the owner runs; once
 * `isClosing()` the next failed attempt ends the client (ioredis then rejects its queued commands).
 */
export function reconnectDelay(capMs: number, isClosing: () => boolean): (times: number) => number | null {
  return (times) => (isClosing() ? null : Math.min(50 * 2 ** Math.min(times, 16), capMs));
}

/** A client of our own (locks, heartbeats); whoever creates it closes it. */
export function createRedisClient(connection: RedisConnection, overrides: RedisOptions): Redis {
  return typeof connection === 'string' ? new Redis(connection, overrides) : new Redis({ ...connection, ...overrides });
}

/**
 * Connection options for BullMQ. Given options (not a client), BullMQ creates its clients itself and closes them
 * on `close()`; clients passed in would stay open and keep the process alive.
 */
export function bullmqConnection(
  connection: RedisConnection,
  overrides: { maxRetriesPerRequest: null; retryStrategy: (times: number) => number | null },
): BullmqRedisOptions {
  return typeof connection === 'string' ? { url: connection, ...overrides } : { ...connection, ...overrides };
}
