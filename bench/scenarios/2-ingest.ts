// Scenario 2, ingest only: a load client POSTs NDJSON batches of 200-byte events to an HTTP ingest that stores
// them durably in Redis, and counts what was acknowledged. Sluice against the raw XADD ingest and the naive BullMQ
// ingest; also the Redis memory each keeps per stored event (the raw ingest's stream is the bare XADD).
import { skipReason } from '../harness/availability.js';
import { deleteKeys, memoryUnder } from '../harness/bench-redis.js';
import { sendLoad, warmupEvents } from '../harness/load.js';
import {
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
} from '../harness/scenario.js';
import { describeSetup, type SetupKind, startSetup } from '../harness/setups.js';

const VALUE_BYTES = 200;

async function measureOnce(ctx: RunContext, kind: SetupKind, events: number, rep: number): Promise<Measurement> {
  const name = `ingest-${kind}-${rep + 1}`;
  const prefix = `${ctx.prefix}-${name}`;
  const maxMs = ctx.smoke ? 15_000 : 30_000;
  const setup = await startSetup(kind, ctx, { name, prefix });
  try {
    const load = { url: setup.ingestUrl, valueBytes: VALUE_BYTES, perRequest: 100, concurrency: 16, maxMs };
    const warm = await sendLoad(`${name}-warm-up`, { ...load, events: warmupEvents(ctx.smoke) });
    const cpuBefore = setup.cpuSeconds();
    const redisCpuBefore = ctx.redisCpuSeconds();
    const r = await sendLoad(`${name}-client`, { ...load, events });
    const cpuSeconds = setup.cpuSeconds() - cpuBefore;
    const redisCpuSeconds = ctx.redisCpuSeconds() - redisCpuBefore;
    const eventsPerSec = r.accepted / Math.max(0.001, (r.endedAt - r.startedAt) / 1000);
    const memory = await memoryUnder(ctx.redis, prefix);
    return {
      eventsPerSec,
      mbPerSec: (eventsPerSec * VALUE_BYTES) / 1e6,
      peakRssBytes: setup.peakRss(),
      redisBytesPerEvent: memory.total / Math.max(1, warm.accepted + r.accepted),
      cpuUsPerEvent: (cpuSeconds * 1e6) / Math.max(1, r.accepted),
      redisCpuUsPerEvent: (redisCpuSeconds * 1e6) / Math.max(1, r.accepted),
      missing: events - r.accepted,
    };
  } finally {
    await setup.stop();
    await deleteKeys(ctx.redis, prefix);
  }
}

export const ingest: Scenario = {
  name: 'ingest',
  title: '2. HTTP ingest → Redis topic (ingest only), 200-byte events',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(['source:http'], true);
    if (skipped) return { ...result, skipped };
    // The naive ingest is measured on fewer events, so that it finishes in the time budget.
    const eventsFor = (kind: SetupKind) => (ctx.smoke ? 2_000 : kind === 'naive' ? 30_000 : 100_000);
    const kinds: SetupKind[] = ['sluice', 'raw', 'naive'];
    // Each run warms its fresh processes with a load of its own first: no separate warm-up runs.
    result.variants = await repeat(
      { ...ctx, warmups: 0 },
      kinds.map((kind) => ({
        name: kind,
        description: describeSetup(kind, false),
        measure: (rep: number) => measureOnce(ctx, kind, eventsFor(kind), rep),
      })),
    );
    result.notes.push(
      `${eventsFor('sluice')} events per run (naive: ${eventsFor('naive')}) after ${warmupEvents(ctx.smoke)} warm-up events; NDJSON requests of 100 events, 16 in flight`,
      'Redis B/event: every key the variant wrote (MEMORY USAGE) over every event it stored; the raw stream is the bare XADD',
    );
    result.ratios.push(
      ratioOf('ingest sluice / raw (events/s)', result.variants, 'sluice', 'raw', 'eventsPerSec', { atLeast: 0.8 }),
      ratioOf('ingest sluice / naive (events/s)', result.variants, 'sluice', 'naive'),
      ratioOf('Redis memory per event sluice / bare XADD', result.variants, 'sluice', 'raw', 'redisBytesPerEvent', {
        atMost: 1.2,
      }),
    );
    return result;
  },
};
