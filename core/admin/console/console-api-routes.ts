// What the console needs beyond the admin API: the pipelines as a graph with each node's rate and lag, and the
// history its charts start from. Only names, plugin types and figures: no config value, so no secret.

import { deadLetterTopics } from '../../runtime/topic-roles.js';
import type { AdminDeps } from '../admin-deps.js';
import type { AdminRoute } from '../admin-route.js';
import type { GraphPipeline, GraphReply, GraphSink, GraphTopic, HistoryReply, SessionReply } from './console-types.js';
import type { MetricHistory } from './metric-history.js';

/** The one console route without the token: whether the page must ask for one (a 401 would say so anyway). */
export function consoleSessionRoute(hasToken: boolean): AdminRoute {
  return {
    method: 'GET',
    path: '/api/console/session',
    summary: 'With --console: whether the admin API asks for a token (`needsToken`), so the page asks first.',
    handle: async () => ({ status: 200, body: { needsToken: hasToken } satisfies SessionReply }),
  };
}

export function consoleApiRoutes(deps: AdminDeps, history: MetricHistory): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/console/graph',
      summary:
        "With --console: the pipelines as sources, topics and sinks, with each node's rate (events/s), lag and state.",
      handle: async () => ({ status: 200, body: await readGraph(deps, history) }),
    },
    {
      method: 'GET',
      path: '/api/console/history',
      summary:
        'With --console: rates in and out, lag and p99 latency every 2 s over the last 10 minutes (`?since=<ms>`: newer only).',
      handle: async ({ query }) => {
        const since = Number(query.get('since') ?? 0);
        const body: HistoryReply = {
          intervalMs: history.everyMs,
          worker: deps.engine.workerId,
          samples: history.since(Number.isFinite(since) ? since : 0),
        };
        return { status: 200, body };
      },
    },
  ];
}

async function readGraph(deps: AdminDeps, history: MetricHistory): Promise<GraphReply> {
  const { storage, config } = deps;
  const latest = history.latest();
  const running = new Map(deps.engine.describePipelines().map((p) => [p.name, p]));
  const pipelines: GraphPipeline[] = [];
  for (const p of config.pipelines) {
    const live = running.get(p.name);
    const sinks: GraphSink[] = [];
    for (const s of p.sinks) {
      const name = s.subscription.slice(p.name.length + 1);
      const liveSink = live?.sinks.find((l) => l.subscription === s.subscription);
      const positions = await storage.positions(p.topic, s.subscription);
      sinks.push({
        name,
        type: s.plugin.name,
        subscription: s.subscription,
        state: liveSink?.state ?? 'unknown',
        isFailing: liveSink?.isFailing ?? false,
        lag: positions.reduce((n, pos) => n + pos.lag, 0),
        pending: positions.reduce((n, pos) => n + pos.pending, 0),
        rate: latest?.out[s.subscription] ?? 0,
      });
    }
    pipelines.push({
      name: p.name,
      state: live?.state ?? 'unknown',
      source: p.source ? { type: p.source.plugin.name, rate: latest?.in[p.name] ?? 0 } : null,
      queryInput: p.query?.input ?? null,
      topic: p.topic,
      deadLetterTopic: p.deadLetterTopic,
      sinks,
    });
  }
  const deadLetters = new Set(await deadLetterTopics(storage));
  const named = new Set(config.pipelines.flatMap((p) => [p.topic, p.deadLetterTopic, p.query?.input ?? p.topic]));
  const existing = new Set(await storage.listTopics());
  const topics: GraphTopic[] = [];
  for (const name of [...named].sort()) {
    if (!existing.has(name)) {
      topics.push({ name, partitions: 0, length: 0, isDeadLetter: deadLetters.has(name) });
      continue;
    }
    const info = await storage.topicInfo(name);
    topics.push({ name, partitions: info.partitions, length: info.length, isDeadLetter: deadLetters.has(name) });
  }
  return { worker: deps.engine.workerId, pipelines, topics };
}
