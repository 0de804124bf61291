import { defineProcessor, eachRecord, z } from '../../core/plugin.js';
import { compileExpression, expressionField, isTruthy } from './expression.js';

export default defineProcessor({
  name: 'filter',
  summary: 'Keep only the events for which a JSONata condition is true.',
  config: z.object({
    where: expressionField().describe(
      'JSONata condition over { key, value, ts, headers }, e.g. value.temp > 30. Events for which it is false, empty or selects nothing are dropped.',
    ),
  }),
  create({ where }) {
    const condition = compileExpression(where, 'filter where');
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => (isTruthy(await condition.evaluate(event)) ? event : null)),
    };
  },
});
