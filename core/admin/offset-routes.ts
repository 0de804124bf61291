// Subscription positions and source checkpoints, and moving a subscription (with a dry run), as `sluice offsets`
// and `sluice replay` do: the same functions answer both.
import { ConfigError } from '../errors.js';
import type { AdminDeps } from './admin-deps.js';
import type { AdminRoute } from './admin-route.js';
import { moveSubscription, parsePosition, readOffsets } from './subscription-offsets.js';

export function offsetRoutes(deps: AdminDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/offsets',
      summary: 'Positions of every subscription (per partition) and every source checkpoint; ?topic= for one topic.',
      handle: async ({ query }) => {
        const topic = query.get('topic');
        return { status: 200, body: { topics: await readOffsets(deps.storage, topic ? [topic] : undefined) } };
      },
    },
    {
      method: 'POST',
      path: '/api/topics/:topic/subscriptions/:subscription/seek',
      summary:
        'Move a subscription: body {"to": "beginning" | "end" | ISO time | event id, "dryRun": true} says how many events would be delivered again or skipped.',
      handle: async ({ params, body }) => {
        const { to, dryRun } = (body ?? {}) as { to?: unknown; dryRun?: unknown };
        if (typeof to !== 'string') {
          throw new ConfigError('send {"to": "beginning" | "end" | an ISO time | an event id, "dryRun": true|false}', {
            code: 'E_BAD_POSITION',
          });
        }
        const move = await moveSubscription(
          deps.storage,
          params.topic,
          params.subscription,
          parsePosition(to),
          dryRun === true,
        );
        return { status: 200, body: move };
      },
    },
  ];
}
