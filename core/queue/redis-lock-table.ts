// Named expiring locks in Redis: SET NX PX with a random token to take one, and compare-and-expire /
// compare-and-delete Lua scripts to renew and free it, so that a holder never touches a lock it has lost.
import type { RedisKeys } from '../storage/keys.js';
import type { RedisClient } from '../storage/redis-connection.js';
import type { AcquireResult, LockTable } from './lock-table.js';

// Returns {1} when taken, else {0, PTTL} so the caller can sleep exactly until the lock can be free.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
return {0, redis.call('PTTL', KEYS[1])}`;
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisLockTable implements LockTable {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async acquire(name: string, token: string, ttlMs: number): Promise<AcquireResult> {
    const [taken, pttl] = (await this.client.eval(ACQUIRE, 1, this.keys.lock(name), token, ttlMs)) as number[];
    // PTTL -2 (gone since SET failed) cannot happen inside one script; treat it as free now.
    return taken === 1 ? { acquired: true } : { acquired: false, heldForMs: pttl === -2 ? 0 : pttl };
  }

  async extend(name: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(EXTEND, 1, this.keys.lock(name), token, Math.max(1, ttlMs))) === 1;
  }

  async release(name: string, token: string): Promise<boolean> {
    return (await this.client.eval(RELEASE, 1, this.keys.lock(name), token)) === 1;
  }
}
