// GET /metrics: the engine's registry in the Prometheus text format.
import type { Registry } from 'prom-client';
import type { AdminRoute } from './admin-route.js';

export function metricsRoute(registry: Registry): AdminRoute {
  return {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics of this process (text exposition format).',
    handle: async ({ raw }) => {
      const text = await registry.metrics();
      raw.res.writeHead(200, { 'content-type': registry.contentType });
      raw.res.end(text);
      return undefined;
    },
  };
}
