// `sluice offsets`: where every subscription stands and what every source checkpoint says; resets a source.
import { readOffsets } from '../admin/subscription-offsets.js';
import { ConfigError } from '../errors.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

interface OffsetsOptions {
  redis?: string;
  prefix: string;
  resetSource?: string;
  setSource?: string;
  json?: boolean;
}

export async function offsetsCommand(topic: string | undefined, o: OffsetsOptions): Promise<number> {
  try {
    const storage = await openAdminStorage(o.redis, o.prefix);
    try {
      if (o.resetSource || o.setSource) {
        if (!topic)
          throw new ConfigError('name the topic the source writes: sluice offsets <topic> --reset-source <pipeline>', {
            code: 'E_NEEDS_TOPIC',
          });
        const [pipeline, json] = o.setSource ? splitOnce(o.setSource) : [o.resetSource as string, undefined];
        let value: unknown;
        try {
          value = json === undefined ? undefined : JSON.parse(json);
        } catch {
          throw new ConfigError(`--set-source value for "${pipeline}" is not JSON: ${json}`, {
            code: 'E_BAD_CHECKPOINT',
          });
        }
        await storage.setCheckpoint(topic, pipeline, value);
        process.stdout.write(
          `checkpoint of source "${pipeline}" on ${topic} ${value === undefined ? 'reset' : `set to ${json}`}\n`,
        );
        return EXIT.ok;
      }
      const report = await readOffsets(storage, topic ? [topic] : undefined);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return EXIT.ok;
      }
      for (const t of report) {
        process.stdout.write(`${t.topic}\n`);
        for (const s of t.subscriptions) {
          process.stdout.write(`  subscription ${s.subscription}\n`);
          for (const p of s.partitions) {
            process.stdout.write(
              `    partition ${p.partition}: last delivered ${p.lastDeliveredId ?? '(none)'}, pending ${p.pending}, lag ${p.lag}\n`,
            );
          }
        }
        for (const c of t.checkpoints) process.stdout.write(`  source ${c.source}: ${JSON.stringify(c.value)}\n`);
      }
      return EXIT.ok;
    } finally {
      await storage.close();
    }
  } catch (err) {
    return reportError(err);
  }
}

function splitOnce(s: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new ConfigError(`--set-source takes <pipeline>=<json>, got "${s}"`, { code: 'E_BAD_CHECKPOINT' });
  return [s.slice(0, i), s.slice(i + 1)];
}
