// Where subscriptions stand and moving one: one implementation for `sluice offsets`, `sluice replay` and the admin
// API. A dry run moves a throwaway copy of the subscription instead (created, moved with the same seek, measured,
// deleted), so it counts exactly what the real move would re-deliver or skip, by the storage's own rules.
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { parseTimestamp } from '../event.js';
import type { PartitionPosition, SeekTarget, Storage } from '../storage/storage.js';

export interface TopicOffsets {
  topic: string;
  subscriptions: Array<{ subscription: string; partitions: PartitionPosition[] }>;
  checkpoints: Array<{ source: string; value: unknown }>;
}

export async function readOffsets(storage: Storage, topics?: readonly string[]): Promise<TopicOffsets[]> {
  const report: TopicOffsets[] = [];
  for (const topic of topics ?? (await storage.listTopics())) {
    const subscriptions = [];
    for (const s of await storage.listSubscriptions(topic))
      subscriptions.push({ subscription: s, partitions: await storage.positions(topic, s) });
    report.push({ topic, subscriptions, checkpoints: await storage.listCheckpoints(topic) });
  }
  return report;
}

/** A position as people write it: beginning, end, an ISO time or an event id. */
export function parsePosition(from: string): SeekTarget {
  if (from === 'beginning' || from === 'end') return { to: from };
  if (/^\d+-\d+-\d+$/.test(from)) return { to: 'offset', id: from };
  const time = /^\d+$/.test(from) ? undefined : parseTimestamp(from);
  if (time !== undefined) return { to: 'time', time };
  throw new ConfigError(
    `--from "${from}" is not a position: use an ISO time (2026-01-31T12:00:00Z), an event id (0-1700000000000-0), beginning or end`,
    { code: 'E_BAD_POSITION' },
  );
}

export interface SubscriptionMove {
  topic: string;
  subscription: string;
  isDryRun: boolean;
  /** Events the subscription had left to deliver before (stored after its position, or handed out, unacknowledged). */
  before: number;
  /** Events left to deliver after the move. */
  after: number;
  /** Events delivered before that will be delivered again (net, over all partitions). */
  redelivered: number;
  /** Events not yet delivered that will never be (net, over all partitions). */
  skipped: number;
}

/** Moves `subscription` of `topic` to `target`, or with `isDryRun` only says what moving it would do. */
export async function moveSubscription(
  storage: Storage,
  topic: string,
  subscription: string,
  target: SeekTarget,
  isDryRun: boolean,
): Promise<SubscriptionMove> {
  const subscriptions = await storage.listSubscriptions(topic);
  if (!subscriptions.includes(subscription)) {
    throw new ConfigError(
      `topic "${topic}" has no subscription "${subscription}"; it has: ${subscriptions.join(', ') || 'none'}`,
      { code: 'E_NO_SUBSCRIPTION' },
    );
  }
  const before = outstanding(await storage.positions(topic, subscription));
  let after: number;
  if (isDryRun) {
    const probe = `${subscription}.dry-run-${randomUUID().slice(0, 8)}`;
    await storage.ensureSubscription(topic, probe, 'end');
    try {
      await storage.seek(topic, probe, target);
      after = outstanding(await storage.positions(topic, probe));
    } finally {
      await storage.deleteSubscription(topic, probe);
    }
  } else {
    await storage.seek(topic, subscription, target);
    after = outstanding(await storage.positions(topic, subscription));
  }
  return {
    topic,
    subscription,
    isDryRun,
    before,
    after,
    redelivered: Math.max(0, after - before),
    skipped: Math.max(0, before - after),
  };
}

function outstanding(positions: readonly PartitionPosition[]): number {
  return positions.reduce((n, p) => n + p.lag + p.pending, 0);
}
