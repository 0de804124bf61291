// Drops repeats: the first event with a given `by` value passes, later ones within `window` are dropped.
// Claims live in ctx.state (in-process when embedded, Redis in a fleet), so all workers share one memory.
import { createHash } from 'node:crypto';
import { RecordError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { defineProcessor, duration, eachRecord, z } from '../../core/plugin.js';
import { compileExpression, expressionField, resultText } from './expression.js';

// Stored for events that have no id yet (an inbound chain, before storage).
const NO_ID = '-';

export default defineProcessor({
  name: 'dedupe',
  summary: 'Drop events whose JSONata `by` value was already seen within a time window.',
  config: z.object({
    by: expressionField()
      .default('key')
      .describe('JSONata expression whose value identifies a repeat, e.g. key or value.orderId.'),
    window: duration()
      .refine((ms) => ms >= 1, { error: 'window must be at least 1ms' })
      .describe(
        'How long a value is remembered after its first event: 500ms, 10s, 5m, 1h, 1d or a number of ms. Repeats do not extend it.',
      ),
    whenMissing: z
      .enum(['reject', 'keep', 'drop'])
      .default('reject')
      .describe(
        'What to do with an event for which `by` selects nothing or null: reject it to the dead-letter topic, keep it, or drop it.',
      ),
  }),
  create({ by, window, whenMissing }, ctx) {
    const identity = compileExpression(by, 'dedupe by');
    return {
      async process(batch) {
        const fingerprints = new Map<SluiceEvent, string>();
        const { events, rejected } = await eachRecord(batch, async (event) => {
          const result = await identity.evaluate(event);
          if (result === undefined || result === null) {
            if (whenMissing === 'keep') return event;
            if (whenMissing === 'drop') return null;
            throw new RecordError(
              `dedupe by "${by}" selected nothing for this event; fix the expression or set whenMissing to keep or drop`,
              { code: 'E_DEDUPE_MISSING' },
            );
          }
          fingerprints.set(event, fingerprint(resultText(result)));
          return event;
        });
        const seenInBatch = new Set<string>();
        const isFirst = await Promise.all(
          events.map(async (event) => {
            const print = fingerprints.get(event);
            if (print === undefined) return true;
            if (seenInBatch.has(print)) return false;
            seenInBatch.add(print);
            const claim = event.id ?? NO_ID;
            if (await ctx.state.setIfAbsent(print, claim, window)) return true;
            // The same stored event delivered again (a retried batch) still passes: its claim carries its id.
            return event.id !== undefined && (await ctx.state.get(print)) === claim;
          }),
        );
        return { events: events.filter((_, i) => isFirst[i]), rejected };
      },
    };
  },
});

function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}
