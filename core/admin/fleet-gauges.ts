// Gauges read when Prometheus scrapes rather than kept up to date, and the process's own figures: subscription lag and pending per partition,
// queued jobs by state, storage memory and round-trip time, and each pipeline's state. A part that cannot be
// read (Redis away) is left out of that scrape; the scrape itself still answers.
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import type { AdminDeps } from './admin-deps.js';
import { probeStorage } from './storage-probe.js';

export function registerFleetGauges(registry: Registry, deps: AdminDeps): void {
  // Node's own figures (CPU, heap, event-loop lag) only where something scrapes them: they keep a monitor running.
  collectDefaultMetrics({ register: registry, prefix: 'sluice_process_' });
  const { engine, storage, queue } = deps;
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        await collect(this).catch(() => {});
      },
    });
  const positions = async (each: (labels: Record<string, string>, lag: number, pending: number) => void) => {
    for (const p of engine.pipelines) {
      for (const s of p.spec.sinks) {
        for (const pos of await storage.positions(p.spec.topic, s.subscription)) {
          each(
            { topic: p.spec.topic, subscription: s.subscription, partition: String(pos.partition) },
            pos.lag,
            pos.pending,
          );
        }
      }
    }
  };
  const labels = ['topic', 'subscription', 'partition'];
  gauge('sluice_subscription_lag', 'Events stored and not yet handed to the subscription.', labels, (g) =>
    positions((l, lag) => g.set(l, lag)),
  );
  gauge('sluice_subscription_pending', 'Events handed out and not yet acknowledged.', labels, (g) =>
    positions((l, _lag, pending) => g.set(l, pending)),
  );
  gauge('sluice_queue_jobs', 'Delivery jobs by state, across the fleet.', ['state'], async (g) => {
    const counts = await queue.counts();
    for (const [state, n] of Object.entries(counts)) g.set({ state }, n);
  });
  gauge(
    'sluice_storage_memory_bytes',
    'Memory the storage (Redis) uses; the fullest node of a cluster.',
    [],
    async (g) => {
      if (storage.memory) g.set((await storage.memory()).usedBytes);
    },
  );
  gauge(
    'sluice_storage_round_trip_seconds',
    'Time of one storage round trip, measured at the scrape.',
    [],
    async (g) => {
      const probe = await probeStorage(storage);
      if (probe.isReachable) g.set(probe.seconds);
    },
  );
  gauge(
    'sluice_pipeline_up',
    '1 for the state each pipeline is in (running, paused, stopped).',
    ['pipeline', 'state'],
    async (g) => {
      for (const p of engine.describePipelines()) {
        for (const state of ['running', 'paused', 'stopped'])
          g.set({ pipeline: p.name, state }, p.state === state ? 1 : 0);
      }
    },
  );
}
