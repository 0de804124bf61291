import type { SluiceEvent } from '../../core/event.js';
import { defineProcessor, eachRecord, z } from '../../core/plugin.js';
import { compileExpression, expressionField } from './expression.js';

export default defineProcessor({
  name: 'split',
  summary: 'Turn each element of an array in an event into an event of its own.',
  config: z.object({
    path: expressionField()
      .default('value')
      .describe(
        'JSONata expression selecting the array, e.g. value.readings. Each element becomes an event with the key, time and headers of the original; an empty array or nothing gives no events, a single non-array value gives one.',
      ),
    indexHeader: z
      .string()
      .min(1)
      .optional()
      .describe("Header that receives each element's position in the array (0-based); unset: no such header."),
  }),
  create({ path, indexHeader }) {
    const selector = compileExpression(path, 'split path');
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => {
          const selected = await selector.evaluate(event);
          if (selected === undefined) return [];
          const elements = Array.isArray(selected) ? selected : [selected];
          return elements.map((value, index): SluiceEvent => {
            const headers = indexHeader ? { ...event.headers, [indexHeader]: String(index) } : event.headers;
            // Each part gets an id of its own so that idempotent sinks do not take the parts for one record.
            return event.id === undefined
              ? { key: event.key, value, ts: event.ts, headers }
              : { key: event.key, value, ts: event.ts, headers, id: `${event.id}:${index}` };
          });
        }),
    };
  },
});
