import { createHash } from 'node:crypto';
import { defineProcessor, eachRecord, eachRecordSync, z } from '../../core/plugin.js';
import { compileExpression, expressionField, resultText } from './expression.js';

export default defineProcessor({
  name: 'sample',
  summary: 'Keep a fraction of the events, at random or deterministically by a hash of a JSONata value.',
  config: z.object({
    rate: z.number().min(0).max(1).describe('Fraction of events to keep, from 0 (none) to 1 (all), e.g. 0.1.'),
    by: expressionField()
      .optional()
      .describe(
        'JSONata expression, e.g. key: events with the same value are all kept or all dropped, on every worker and every run. Unset, or when it selects nothing: each event is kept at random.',
      ),
  }),
  create({ rate, by }) {
    if (by === undefined)
      return { process: (batch) => eachRecordSync(batch, (e) => (Math.random() < rate ? e : null)) };
    const identity = compileExpression(by, 'sample by');
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => {
          const result = await identity.evaluate(event);
          const draw = result === undefined || result === null ? Math.random() : unitHash(resultText(result));
          return draw < rate ? event : null;
        }),
    };
  },
});

/** A stable number in [0, 1) for a text, the same on every machine. */
function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}
