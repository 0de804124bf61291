// Subscriptions on the admin API: the same list and delete as `sluice subscriptions`.
import type { Storage } from '../storage/storage.js';
import type { AdminRoute } from './admin-route.js';
import { answer } from './error-reply.js';
import { listSubscriptionStates, removeSubscription } from './subscriptions.js';

export interface SubscriptionDeps {
  storage: Storage;
}

export function subscriptionRoutes(deps: SubscriptionDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/subscriptions',
      summary: 'Every subscription (?topic= for one topic) with lag, pending, and whether a running pipeline uses it.',
      handle: (req) => answer(() => listSubscriptionStates(deps.storage, req.query.get('topic') ?? undefined)),
    },
    {
      method: 'DELETE',
      path: '/api/subscriptions/:topic/:subscription',
      summary:
        'Delete a subscription no running pipeline uses; ?dryRun=true says what it holds and changes nothing. 409 with E_SUBSCRIPTION_IN_USE when one runs it, 404 when there is none.',
      handle: (req) =>
        answer(() =>
          removeSubscription(deps.storage, req.params.topic, req.params.subscription, {
            dryRun: req.query.get('dryRun') === 'true',
          }),
        ),
    },
  ];
}
