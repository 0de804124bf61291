// Named expiring locks in one process, with the semantics of the Redis lock table (see lock-table.ts). Queues
// given the same table behave as members of one fleet.
import type { AcquireResult, LockTable } from './lock-table.js';

export class MemoryLockTable implements LockTable {
  private readonly locks = new Map<string, { token: string; expiresAt: number }>();

  async acquire(name: string, token: string, ttlMs: number): Promise<AcquireResult> {
    const held = this.live(name);
    if (held) return { acquired: false, heldForMs: held.expiresAt - Date.now() };
    this.locks.set(name, { token, expiresAt: Date.now() + ttlMs });
    return { acquired: true };
  }

  async extend(name: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.live(name);
    if (held?.token !== token) return false;
    held.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async release(name: string, token: string): Promise<boolean> {
    if (this.live(name)?.token !== token) return false;
    this.locks.delete(name);
    return true;
  }

  private live(name: string): { token: string; expiresAt: number } | undefined {
    const held = this.locks.get(name);
    if (held && held.expiresAt <= Date.now()) {
      this.locks.delete(name);
      return undefined;
    }
    return held;
  }
}
