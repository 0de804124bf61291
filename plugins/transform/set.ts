import { RecordError } from '../../core/errors.js';
import { parseTimestamp, type SluiceEvent } from '../../core/event.js';
import { defineProcessor, eachRecord, z } from '../../core/plugin.js';
import { compileExpression, expressionField, resultText } from './expression.js';

export default defineProcessor({
  name: 'set',
  summary: 'Set the key, the event time or headers of each event from JSONata expressions over the event.',
  config: z
    .object({
      key: expressionField()
        .optional()
        .describe(
          'JSONata expression for the new key, e.g. value.carId. Text is used as it is, other values as JSON; null clears the key; selecting nothing rejects the event.',
        ),
      ts: expressionField()
        .optional()
        .describe(
          'JSONata expression for the event time: ISO-8601 text, epoch seconds or epoch milliseconds, e.g. value.time. Anything else, or nothing, rejects the event.',
        ),
      headers: z
        .record(z.string(), expressionField())
        .optional()
        .describe(
          'Header name to JSONata expression, e.g. { region: value.region }. Text is used as it is, other values as JSON; a header whose expression selects nothing (or null) is left unset.',
        ),
    })
    .refine((c) => c.key !== undefined || c.ts !== undefined || Object.keys(c.headers ?? {}).length > 0, {
      error: 'set needs at least one of key, ts or headers',
    }),
  create(config) {
    const key = config.key === undefined ? undefined : compileExpression(config.key, 'set key');
    const ts = config.ts === undefined ? undefined : compileExpression(config.ts, 'set ts');
    const headers = Object.entries(config.headers ?? {}).map(
      ([name, text]) => [name, compileExpression(text, `set headers.${name}`)] as const,
    );
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => {
          const out: { -readonly [K in keyof SluiceEvent]: SluiceEvent[K] } = { ...event };
          if (key) {
            const result = await key.evaluate(event);
            if (result === undefined) {
              throw new RecordError(`set key: "${key.text}" selected nothing for this event`, { code: 'E_SET_KEY' });
            }
            out.key = result === null ? null : resultText(result);
          }
          if (ts) {
            const result = await ts.evaluate(event);
            const parsed = parseTimestamp(result);
            if (parsed === undefined) {
              const got = result === undefined ? 'nothing' : JSON.stringify(result).slice(0, 100);
              throw new RecordError(
                `set ts: "${ts.text}" gave ${got}, which is not ISO-8601 text or epoch seconds/milliseconds`,
                { code: 'E_SET_TS' },
              );
            }
            out.ts = parsed;
          }
          if (headers.length > 0) {
            const next = { ...event.headers };
            for (const [name, expression] of headers) {
              const result = await expression.evaluate(event);
              if (result !== undefined && result !== null) next[name] = resultText(result);
            }
            out.headers = next;
          }
          return out;
        }),
    };
  },
});
