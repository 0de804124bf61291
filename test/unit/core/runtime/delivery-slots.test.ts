import { describe, expect, it } from 'vitest';
import { DeliverySlots } from '../../../../core/runtime/delivery-slots.js';

describe('DeliverySlots', () => {
  it('gives a waiting dispatcher the first slot that frees', async () => {
    const slots = new DeliverySlots(1);
    const first = slots.take();
    expect(first).toBeDefined();
    expect(slots.take()).toBeUndefined();
    const waiting = slots.wait(60_000, new AbortController().signal);
    first?.();
    const second = await waiting;
    expect(second).toBeDefined();
    expect(slots.take()).toBeUndefined();
    second?.();
    expect(slots.take()).toBeDefined();
  });

  it('gives up after the wait, or on abort, with no slot taken', async () => {
    const slots = new DeliverySlots(1);
    const held = slots.take();
    expect(await slots.wait(20, new AbortController().signal)).toBeUndefined();
    const abort = new AbortController();
    const waiting = slots.wait(60_000, abort.signal);
    abort.abort();
    expect(await waiting).toBeUndefined();
    held?.();
    expect(slots.take()).toBeDefined();
  });

  it('counts jobs the queue started against the size, and a slot given back twice once', () => {
    const slots = new DeliverySlots(2);
    const job = slots.enter();
    const batch = slots.take();
    expect(slots.take()).toBeUndefined();
    job();
    job();
    expect(slots.take()).toBeDefined();
    expect(slots.take()).toBeUndefined();
    batch?.();
  });
});
