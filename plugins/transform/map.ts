import { RecordError } from '../../core/errors.js';
import { withValue } from '../../core/event.js';
import { defineProcessor, eachRecord, z } from '../../core/plugin.js';
import { compileExpression, expressionField } from './expression.js';

export default defineProcessor({
  name: 'map',
  summary: 'Replace each event value with the result of a JSONata expression over the event.',
  config: z.object({
    expression: expressionField().describe(
      'JSONata expression over { key, value, ts, headers }; its result becomes the new value, e.g. { "car": value.carId, "kmh": value.speed * 3.6 }.',
    ),
    whenMissing: z
      .enum(['reject', 'drop', 'null'])
      .default('reject')
      .describe(
        'What to do when the expression selects nothing: reject the event to the dead-letter topic, drop it, or set the value to null.',
      ),
  }),
  create({ expression, whenMissing }) {
    const compiled = compileExpression(expression, 'map expression');
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => {
          const value = await compiled.evaluate(event);
          if (value !== undefined) return withValue(event, value);
          if (whenMissing === 'drop') return null;
          if (whenMissing === 'null') return withValue(event, null);
          throw new RecordError(
            `map expression "${expression}" selected nothing for this event; fix the expression or set whenMissing to drop or null`,
            { code: 'E_MAP_MISSING' },
          );
        }),
    };
  },
});
