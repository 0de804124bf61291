// Limits the rate of events with a generic cell rate algorithm: up to `limit` events pass at once, then one
// every `per / limit` ms. The limit is per worker: in a fleet of N workers the total is up to N times it.
import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError } from '../../core/errors.js';
import { defineProcessor, duration, z } from '../../core/plugin.js';

export default defineProcessor({
  name: 'throttle',
  summary: 'Limit the rate of events on each worker, by delaying batches or dropping what is over the limit.',
  parallelSafe: false,
  config: z.object({
    limit: z.number().int().min(1).describe('Events allowed per `per` period on each worker (also the largest burst).'),
    per: duration()
      .refine((ms) => ms >= 1, { error: 'per must be at least 1ms' })
      .prefault('1s')
      .describe('The period of the limit: 500ms, 1s, 1m, ... or a number of ms.'),
    mode: z
      .enum(['delay', 'drop'])
      .default('delay')
      .describe(
        'delay: hold each batch until it fits the rate (nothing is lost; a batch passes whole, so the sink may see bursts up to the batch size); drop: pass what fits and drop the rest.',
      ),
  }),
  create({ limit, per, mode }, ctx) {
    const interval = per / limit;
    // The time at which the rate would be exactly used up by what already passed.
    let theoretical = 0;
    return {
      async process(batch) {
        const now = performance.now();
        if (mode === 'drop') {
          return batch.filter(() => {
            const next = Math.max(theoretical, now) + interval;
            if (next - per > now + 1e-6) return false;
            theoretical = next;
            return true;
          });
        }
        theoretical = Math.max(theoretical, now) + interval * batch.length;
        const wait = theoretical - per - now;
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal: ctx.signal });
          } catch (err) {
            throw new RetryableError('throttle: shutting down while a batch waited for its turn; it will be retried', {
              code: 'E_THROTTLE_ABORTED',
              cause: err,
            });
          }
        }
        return [...batch];
      },
    };
  },
});
