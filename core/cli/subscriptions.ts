// `sluice subscriptions list|delete`: which subscriptions exist and whether a running pipeline uses them; the
// removal of one nobody runs, after a dry run or a confirmation.
import { createInterface } from 'node:readline/promises';
import { listSubscriptionStates, removeSubscription, type SubscriptionState } from '../admin/subscriptions.js';
import { ConfigError } from '../errors.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

interface Connection {
  redis?: string;
  prefix: string;
  json?: boolean;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

function describe(s: SubscriptionState): string {
  const use = s.isUsed ? 'used' : `UNUSED (last used ${s.lastUsedAt ?? 'never'})`;
  return `${s.topic} ${s.subscription}: lag ${s.lag}, pending ${s.pending}, ${use}`;
}

export async function subscriptionsListCommand(topic: string | undefined, o: Connection): Promise<number> {
  try {
    const storage = await openAdminStorage(o.redis, o.prefix);
    try {
      const states = await listSubscriptionStates(storage, topic);
      if (o.json) out(JSON.stringify(states, null, 2));
      else if (states.length === 0) out('no subscriptions');
      else for (const s of states) out(describe(s));
      return EXIT.ok;
    } finally {
      await storage.close();
    }
  } catch (err) {
    return reportError(err);
  }
}

export async function subscriptionsDeleteCommand(
  topic: string,
  subscription: string,
  o: Connection & { dryRun?: boolean; yes?: boolean },
): Promise<number> {
  try {
    const storage = await openAdminStorage(o.redis, o.prefix);
    try {
      const preview = await removeSubscription(storage, topic, subscription, { dryRun: true });
      if (o.dryRun) {
        out(`would delete ${describe(preview)}; its ${preview.lag + preview.pending} undelivered event(s) stay stored`);
        return EXIT.ok;
      }
      if (!o.yes && !(await confirmed(`delete ${describe(preview)}? type its name to confirm: `, subscription))) {
        out('not deleted');
        return EXIT.failure;
      }
      const done = await removeSubscription(storage, topic, subscription, { dryRun: false });
      out(o.json ? JSON.stringify(done, null, 2) : `deleted ${describe(done)}`);
      return EXIT.ok;
    } finally {
      await storage.close();
    }
  } catch (err) {
    return reportError(err);
  }
}

/** Asks on a terminal; with no terminal to ask on, --yes is the only way to say yes. */
async function confirmed(question: string, answer: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new ConfigError('deleting a subscription asks for confirmation: pass --yes (or try --dry-run first)', {
      code: 'E_NEEDS_CONFIRMATION',
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim() === answer;
  } finally {
    rl.close();
  }
}
