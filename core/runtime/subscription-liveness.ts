// Which subscriptions some process of the fleet runs. Each process that delivers renews, per subscription it
// runs, a record that expires unless renewed, and a "last used" time that does not expire. A subscription with
// no live record is one no loaded pipeline uses: `status` marks it, and once unused for its topic's
// `retention.staleAfter` it is deleted, so that retention never waits on it forever.
import type { Storage } from '../storage/storage.js';

const LIVE = 'sluice/subscriptions/live';
const LAST_USED = 'sluice/subscriptions/last-used';
/** How often a process renews its records; a record lives a few periods, so a missed beat does not matter. */
export const LIVENESS_EVERY_MS = 10_000;
const LIVENESS_TTL_MS = 4 * LIVENESS_EVERY_MS;

export interface SubscriptionRef {
  topic: string;
  subscription: string;
}

const nameOf = (r: SubscriptionRef) => `${r.topic}/${r.subscription}`;

export interface SubscriptionUse {
  /** A live process runs it now. */
  isUsed: boolean;
  /** When a process last ran it (ms), or null when none has since this was recorded. */
  lastUsedAt: number | null;
}

/** Renews the records of the subscriptions this process runs, every {@link LIVENESS_EVERY_MS}. */
export class SubscriptionLiveness {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly storage: Storage,
    private readonly subscriptions: readonly SubscriptionRef[],
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(this.onError), LIVENESS_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    const now = String(Date.now());
    for (const ref of this.subscriptions) {
      await this.storage.state(LIVE).set(nameOf(ref), now, LIVENESS_TTL_MS);
      await this.storage.state(LAST_USED).set(nameOf(ref), now);
    }
  }
}

export async function subscriptionUse(storage: Storage, ref: SubscriptionRef): Promise<SubscriptionUse> {
  const [live, last] = await Promise.all([
    storage.state(LIVE).get(nameOf(ref)),
    storage.state(LAST_USED).get(nameOf(ref)),
  ]);
  return { isUsed: live !== undefined, lastUsedAt: last === undefined ? null : Number(last) };
}

/** Starts the unused clock of a subscription no process has recorded yet (one from before these records). */
export function startUnusedClock(storage: Storage, ref: SubscriptionRef, now = Date.now()): Promise<boolean> {
  return storage.state(LAST_USED).setIfAbsent(nameOf(ref), String(now));
}

/** Deletes a subscription and its records. */
export async function deleteSubscription(storage: Storage, ref: SubscriptionRef): Promise<void> {
  await storage.deleteSubscription(ref.topic, ref.subscription);
  await storage.state(LIVE).delete(nameOf(ref));
  await storage.state(LAST_USED).delete(nameOf(ref));
}

/**
 * Deletes the subscriptions of a topic that no process has run for `staleAfterMs`; returns them with how long
 * they were unused. A subscription with no record starts its clock now.
 */
export async function deleteStaleSubscriptions(
  storage: Storage,
  topic: string,
  staleAfterMs: number,
  now = Date.now(),
): Promise<Array<{ subscription: string; unusedMs: number }>> {
  const deleted: Array<{ subscription: string; unusedMs: number }> = [];
  for (const subscription of await storage.listSubscriptions(topic)) {
    const ref = { topic, subscription };
    const use = await subscriptionUse(storage, ref);
    if (use.isUsed) continue;
    if (use.lastUsedAt === null) {
      await startUnusedClock(storage, ref, now);
      continue;
    }
    if (now - use.lastUsedAt < staleAfterMs) continue;
    await deleteSubscription(storage, ref);
    deleted.push({ subscription, unusedMs: now - use.lastUsedAt });
  }
  return deleted;
}
