import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../../core/plugin.js';
import { isLeaseHeld, waitForLease } from '../../../../core/queue/lease.js';
import { msSinceLoopTurn, watchLoopTurns } from '../../../../core/queue/loop-turns.js';
import { MemoryLockTable } from '../../../../core/queue/memory-lock-table.js';

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('isLeaseHeld', () => {
  it('answers no once the event loop was blocked past the lease, though the question was asked before the block', async () => {
    // Stands for a lease's renewal tick: it finds the lease lapsed once it runs after lapseAt.
    const lease = new AbortController();
    const lapseAt = Date.now() + 30;
    const tick = setInterval(() => {
      if (Date.now() >= lapseAt) lease.abort();
    }, 10);
    try {
      const answer = isLeaseHeld(lease.signal);
      const blockedUntil = Date.now() + 100;
      while (Date.now() < blockedUntil) {
        // A processor holding the event loop.
      }
      expect(await answer).toBe(false);
    } finally {
      clearInterval(tick);
    }
  });

  it('answers yes while the lease holds', async () => {
    expect(await isLeaseHeld(new AbortController().signal)).toBe(true);
  });
});

describe('Lease.isCurrent', () => {
  it('says no at once after the event loop was blocked past the lease, before the renewal tick has run', async () => {
    const locks = new MemoryLockTable();
    const lease = await waitForLease(locks, 'l', 'me', {
      leaseMs: 60,
      maxWaitMs: 10,
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    if (!lease) throw new Error('no lease');
    try {
      expect(lease.isCurrent()).toBe(true);
      const blockedUntil = Date.now() + 150;
      while (Date.now() < blockedUntil) {
        // A processor holding the event loop: no renewal runs.
      }
      expect(lease.signal.aborted).toBe(false);
      expect(lease.isCurrent()).toBe(false);
    } finally {
      await lease.release();
    }
  });
});

describe('msSinceLoopTurn', () => {
  it('grows while the event loop is blocked and falls back once timers run', async () => {
    const stop = watchLoopTurns();
    try {
      await new Promise((r) => setTimeout(r, 250));
      const blockedUntil = Date.now() + 400;
      while (Date.now() < blockedUntil) {
        // Blocked: no timer turn is noted.
      }
      expect(msSinceLoopTurn()).toBeGreaterThanOrEqual(400);
      await new Promise((r) => setTimeout(r, 250));
      expect(msSinceLoopTurn()).toBeLessThan(400);
    } finally {
      stop();
    }
  });
});
