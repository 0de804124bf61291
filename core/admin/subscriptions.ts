// Subscriptions as an operator sees them: where each stands, whether a running pipeline uses it, and the
// removal of one nobody runs (with a dry run that says what it holds).
import { SluiceError } from '../errors.js';
import { deleteSubscription, subscriptionUse } from '../runtime/subscription-liveness.js';
import type { Storage } from '../storage/storage.js';

export interface SubscriptionState {
  topic: string;
  subscription: string;
  lag: number;
  pending: number;
  /** A live process runs it now. */
  isUsed: boolean;
  /** When a process last ran it, ISO time, or null when none is recorded. */
  lastUsedAt: string | null;
}

export async function subscriptionState(storage: Storage, topic: string, subscription: string) {
  const positions = await storage.positions(topic, subscription);
  const use = await subscriptionUse(storage, { topic, subscription });
  return {
    topic,
    subscription,
    lag: positions.reduce((n, p) => n + p.lag, 0),
    pending: positions.reduce((n, p) => n + p.pending, 0),
    isUsed: use.isUsed,
    lastUsedAt: use.lastUsedAt === null ? null : new Date(use.lastUsedAt).toISOString(),
  } satisfies SubscriptionState;
}

export async function listSubscriptionStates(storage: Storage, topic?: string): Promise<SubscriptionState[]> {
  const out: SubscriptionState[] = [];
  for (const t of topic === undefined ? await storage.listTopics() : [topic]) {
    for (const s of await storage.listSubscriptions(t)) out.push(await subscriptionState(storage, t, s));
  }
  return out;
}

/**
 * Deletes a subscription no running pipeline uses; returns what it held. A used one is refused: its pipeline
 * would create it again at once, at its `start`.
 */
export async function removeSubscription(
  storage: Storage,
  topic: string,
  subscription: string,
  options: { dryRun: boolean },
): Promise<SubscriptionState & { deleted: boolean }> {
  const known = await storage.listSubscriptions(topic);
  if (!known.includes(subscription)) {
    throw new SluiceError(
      'config',
      `topic "${topic}" has no subscription "${subscription}"; it has: ${known.join(', ') || 'none'}`,
      {
        code: 'E_NO_SUBSCRIPTION',
      },
    );
  }
  const state = await subscriptionState(storage, topic, subscription);
  if (state.isUsed) {
    throw new SluiceError(
      'fatal',
      `subscription "${subscription}" of "${topic}" is used by a running pipeline: stop or remove that sink first, or its pipeline creates it again`,
      { code: 'E_SUBSCRIPTION_IN_USE' },
    );
  }
  if (!options.dryRun) await deleteSubscription(storage, { topic, subscription });
  return { ...state, deleted: !options.dryRun };
}
