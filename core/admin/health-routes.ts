// Probes: /healthz says the process is alive (the event loop answers); /readyz says it can do its work: storage
// reachable, every pipeline running (not stopped by a fatal error), not shutting down. 503 lists the reasons.
import type { AdminDeps } from './admin-deps.js';
import type { AdminRoute } from './admin-route.js';
import { probeStorage } from './storage-probe.js';

export function healthRoutes(deps: AdminDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      summary: 'Alive: 200 while the process answers.',
      handle: async () => ({ status: 200, body: { status: 'alive', worker: deps.engine.workerId } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      summary:
        'Ready: 200 when storage answers, every pipeline runs and the process is not stopping; else 503 with reasons.',
      handle: async () => {
        const reasons: string[] = [];
        if (deps.engine.isStopping) reasons.push('shutting down');
        const probe = await probeStorage(deps.storage);
        if (!probe.isReachable) reasons.push(`storage (${deps.storage.kind}) unreachable: ${probe.reason}`);
        for (const p of deps.engine.describePipelines()) {
          if (p.state === 'stopped') reasons.push(`pipeline "${p.name}" stopped on a fatal error`);
        }
        return reasons.length === 0
          ? { status: 200, body: { status: 'ready' } }
          : { status: 503, body: { status: 'unready', reasons } };
      },
    },
  ];
}
