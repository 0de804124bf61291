// The pipelines of this process and the orders that reach every process of the fleet: pause, resume, restart,
// of a whole pipeline or of one sink.
import { CONTROL_POLL_MS } from '../runtime/fleet-control.js';
import type { AdminDeps } from './admin-deps.js';
import type { AdminReply, AdminRequest, AdminRoute } from './admin-route.js';

/** How long a pause waits for batches already handed out to finish, ms, before answering with what is left. */
const SETTLE_MS = 10_000;
/**
 * Before counting what is in flight, a pause lets every worker see the order (it reads the flags every
 * CONTROL_POLL_MS) and lets a dispatcher's read that was already waiting for new events (up to a second) end:
 * what either hands out meanwhile is then pending, and counted.
 */
const PROPAGATION_MS = CONTROL_POLL_MS + 1500;

export function pipelineRoutes(deps: AdminDeps): AdminRoute[] {
  const { engine } = deps;
  const order =
    (verb: 'pause' | 'resume' | 'restart') =>
    async ({ params }: AdminRequest): Promise<AdminReply> => {
      await engine[verb](params.pipeline, params.sink);
      const inFlight = verb === 'pause' ? await settled(deps, params.pipeline, params.sink) : 0;
      return {
        status: 200,
        body: {
          pipeline: params.pipeline,
          ...(params.sink ? { sink: params.sink } : {}),
          order: verb,
          ...(verb === 'pause' ? { inFlight } : {}),
          pipelines: engine.describePipelines().filter((p) => p.name === params.pipeline),
        },
      };
    };
  const routes: AdminRoute[] = [
    {
      method: 'GET',
      path: '/api/pipelines',
      summary: 'Pipelines of this process, each with its state and its sinks.',
      handle: async () => ({ status: 200, body: { worker: engine.workerId, pipelines: engine.describePipelines() } }),
    },
  ];
  for (const [verb, summary] of [
    ['pause', 'its sources stop taking events and no new batches go out, on every worker; nothing is lost.'],
    ['resume', 'delivery and sources continue where they stopped, on every worker.'],
    ['restart', 're-creates its sinks and its poll source on every worker (fresh connections).'],
  ] as const) {
    routes.push(
      {
        method: 'POST',
        path: `/api/pipelines/:pipeline/${verb}`,
        summary: `${verb[0].toUpperCase()}${verb.slice(1)} a pipeline: ${summary}`,
        handle: order(verb),
      },
      {
        method: 'POST',
        path: `/api/pipelines/:pipeline/sinks/:sink/${verb}`,
        summary: `${verb[0].toUpperCase()}${verb.slice(1)} one sink of a pipeline.`,
        handle: order(verb),
      },
    );
  }
  return routes;
}

/** Waits until no batch of the paused sinks is handed out and unacknowledged, up to SETTLE_MS; returns what is left. */
async function settled(deps: AdminDeps, pipeline: string, sink?: string): Promise<number> {
  const spec = deps.engine.pipelines.find((p) => p.name === pipeline)?.spec;
  if (!spec) return 0;
  const subscriptions = spec.sinks
    .map((s) => s.subscription)
    .filter((s) => sink === undefined || s === `${pipeline}.${sink}`);
  const deadline = Date.now() + SETTLE_MS;
  await new Promise((r) => setTimeout(r, PROPAGATION_MS));
  for (;;) {
    let pending = 0;
    for (const s of subscriptions) for (const p of await deps.storage.positions(spec.topic, s)) pending += p.pending;
    if (pending === 0 || Date.now() >= deadline) return pending;
    await new Promise((r) => setTimeout(r, 50));
  }
}
