// GET /api/status: the fleet snapshot `sluice status --json` prints.
import type { AdminDeps } from './admin-deps.js';
import type { AdminRoute } from './admin-route.js';
import { readFleetStatus } from './fleet-status.js';

export function statusRoute(deps: AdminDeps): AdminRoute {
  return {
    method: 'GET',
    path: '/api/status',
    summary: 'Fleet status: topics, subscriptions (lag, pending), dead-letter topics, job counts, live workers.',
    handle: async () => ({ status: 200, body: await readFleetStatus(deps.fleet) }),
  };
}
