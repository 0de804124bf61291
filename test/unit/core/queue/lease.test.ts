import { describe, expect, it } from 'vitest';
import { isLeaseHeld } from '../../../../core/queue/lease.js';

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
