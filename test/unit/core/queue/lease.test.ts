import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../../core/plugin.js';
import { waitForLease } from '../../../../core/queue/lease.js';
import { hasTurnedFreelySince, msSinceLoopTurn, watchLoopTurns } from '../../../../core/queue/loop-turns.js';
import { MemoryLockTable } from '../../../../core/queue/memory-lock-table.js';

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

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

  it('remembers a stall once timers run again: the loop has not turned freely since before it', async () => {
    const stop = watchLoopTurns();
    try {
      await new Promise((r) => setTimeout(r, 250));
      const beforeBlock = Date.now();
      const blockedUntil = Date.now() + 600;
      while (Date.now() < blockedUntil) {
        // Blocked.
      }
      await new Promise((r) => setTimeout(r, 250));
      const afterTurns = Date.now();
      expect(msSinceLoopTurn()).toBeLessThan(400);
      expect(hasTurnedFreelySince(beforeBlock, 500)).toBe(false);
      // A stall shorter than the bound asked about does not count, nor one that ended before `since`.
      expect(hasTurnedFreelySince(beforeBlock, 5000)).toBe(true);
      expect(hasTurnedFreelySince(afterTurns, 500)).toBe(true);
    } finally {
      stop();
    }
  });
});
