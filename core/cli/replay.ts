// `sluice replay`: moves one subscription to a time, an event id, the beginning or the end. Only that
// subscription's sink sees the events again; every other subscription keeps its place.
import { ConfigError } from '../errors.js';
import { parseTimestamp } from '../event.js';
import type { SeekTarget } from '../storage/storage.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

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

export async function replayCommand(
  topic: string,
  o: { subscription: string; from: string; redis?: string; prefix: string },
): Promise<number> {
  try {
    const target = parsePosition(o.from);
    const storage = await openAdminStorage(o.redis, o.prefix);
    try {
      const subs = await storage.listSubscriptions(topic);
      if (!subs.includes(o.subscription)) {
        throw new ConfigError(
          `topic "${topic}" has no subscription "${o.subscription}"; it has: ${subs.join(', ') || 'none'}`,
          { code: 'E_NO_SUBSCRIPTION' },
        );
      }
      await storage.seek(topic, o.subscription, target);
      const positions = await storage.positions(topic, o.subscription);
      const lag = positions.reduce((n, p) => n + p.lag, 0);
      process.stdout.write(
        `subscription ${o.subscription} on ${topic} moved to ${o.from}: ${lag} event(s) to deliver\n`,
      );
    } finally {
      await storage.close();
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
