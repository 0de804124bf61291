import { withHeaders } from '../../core/event.js';
import { defineProcessor, eachRecord, ROUTE_HEADER, z } from '../../core/plugin.js';
import { compileExpression, expressionField, isTruthy } from './expression.js';

export default defineProcessor({
  name: 'route',
  summary: `Name the route of each event (header ${ROUTE_HEADER}) after the first condition it meets, for sinks with a matching route.`,
  config: z
    .object({
      routes: z
        .array(
          z.object({
            name: z.string().min(1).describe('Route name: sinks with this `route:` receive the matching events.'),
            when: expressionField().describe(
              'JSONata condition over { key, value, ts, headers }, e.g. value.temp > 30.',
            ),
          }),
        )
        .min(1)
        .describe(
          'Routes tried in order, each { name, when }: an event gets the name of the first route whose JSONata condition `when` is true.',
        ),
      default: z
        .string()
        .min(1)
        .optional()
        .describe('Route for events that meet no condition; unset: such events are dropped.'),
    })
    .refine((c) => new Set(c.routes.map((r) => r.name)).size === c.routes.length, {
      error: 'route names must be unique',
      path: ['routes'],
    }),
  create(config) {
    const routes = config.routes.map((route, i) => ({
      name: route.name,
      condition: compileExpression(route.when, `route routes[${i}].when`),
    }));
    return {
      process: (batch) =>
        eachRecord(batch, async (event) => {
          for (const route of routes) {
            if (isTruthy(await route.condition.evaluate(event)))
              return withHeaders(event, { [ROUTE_HEADER]: route.name });
          }
          return config.default === undefined ? null : withHeaders(event, { [ROUTE_HEADER]: config.default });
        }),
    };
  },
});
