// `sluice replay`: moves one subscription to a time, an event id, the beginning or the end. Only that
// subscription's sink sees the events again; every other subscription keeps its place.
import { moveSubscription, parsePosition } from '../admin/subscription-offsets.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export async function replayCommand(
  topic: string,
  o: { subscription: string; from: string; redis?: string; prefix: string; dryRun?: boolean },
): Promise<number> {
  try {
    const target = parsePosition(o.from);
    const storage = await openAdminStorage(o.redis, o.prefix);
    try {
      const move = await moveSubscription(storage, topic, o.subscription, target, o.dryRun === true);
      process.stdout.write(
        `subscription ${o.subscription} on ${topic} ${move.isDryRun ? 'would move' : 'moved'} to ${o.from}: ${move.after} event(s) to deliver (${move.redelivered} delivered again, ${move.skipped} skipped)${move.isDryRun ? '; dry run, nothing moved' : ''}\n`,
      );
    } finally {
      await storage.close();
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
