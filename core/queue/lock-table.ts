// A table of named, expiring locks: the one primitive behind single pollers and exclusive loops. Redis holds it
// for a fleet (redis-lock-table.ts); memory-lock-table.ts holds it for one process with the same semantics.

export type AcquireResult = { acquired: true } | { acquired: false; heldForMs: number };

export interface LockTable {
  /**
   * Takes `name` for `ttlMs` under `token` unless it is held (by anyone, this token included). When it is held,
   * says for how long still: `heldForMs` is the remaining time, or -1 when the holder set no expiry.
   */
  acquire(name: string, token: string, ttlMs: number): Promise<AcquireResult>;
  /** Sets the expiry of a lock still held by `token` to `ttlMs` from now; false when it is no longer ours. */
  extend(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Frees a lock still held by `token`; false when it was no longer ours. */
  release(name: string, token: string): Promise<boolean>;
}
