// Scenario 5, latency at a steady 3 000 events/s: how long an event takes from ingest to delivery when nothing
// is saturated. With Redis: the client sends requests of 10 events on schedule to the Sluice (or raw) ingest, the
// worker delivers to the receiver, which takes arrival minus the send time each event carries. Embedded: the
// generate source at 3 000/s through the same processors to the null sink, in one process. The first seconds
// (start-up, JIT) are left out of the percentiles.
import { skipReason } from '../harness/availability.js';
import { deleteKeys } from '../harness/bench-redis.js';
import { spawnScript } from '../harness/child.js';
import type { LoadResult } from '../harness/load.js';
import { sealingProcessors, writePipelineFile } from '../harness/pipeline-file.js';
import { type Receiver, startReceiver } from '../harness/receiver-client.js';
import {
  type Measurement,
  type RunContext,
  repeat,
  type Scenario,
  type ScenarioResult,
  type Variant,
  withTarget,
} from '../harness/scenario.js';
import { describeSetup, type SetupKind, startSetup } from '../harness/setups.js';

const RATE = 3_000;

function durations(smoke: boolean) {
  return smoke ? { warmMs: 500, measureMs: 1_000 } : { warmMs: 2_000, measureMs: 5_000 };
}

async function overRedis(ctx: RunContext, receiver: Receiver, kind: SetupKind, rep: number): Promise<Measurement> {
  const name = `latency-${kind}-${rep < 0 ? `w${-rep}` : rep + 1}`;
  const prefix = `${ctx.prefix}-${name}`;
  const { warmMs, measureMs } = durations(ctx.smoke);
  const events = Math.round((RATE * (warmMs + measureMs)) / 1000);
  await receiver.reset();
  const setup = await startSetup(kind, ctx, { name, prefix, receiver });
  try {
    const client = spawnScript(
      'harness/load-client.ts',
      {
        url: setup.ingestUrl,
        events,
        valueBytes: 200,
        perRequest: 10,
        concurrency: 64,
        ratePerSec: RATE,
        maxMs: warmMs + measureMs + 10_000,
      },
      { label: `${name}-client` },
    );
    await new Promise((r) => setTimeout(r, warmMs));
    const before = await receiver.reset();
    const sent = (await client.result(warmMs + measureMs + 20_000)) as unknown as LoadResult;
    const got = await receiver.waitFor(sent.accepted - before.count, 10_000);
    const seconds = Math.max(0.001, (got.lastAt - got.firstAt) / 1000);
    return {
      eventsPerSec: got.count / seconds,
      p50Ms: got.p50,
      p99Ms: got.p99,
      peakRssBytes: setup.peakRss(),
      missing: Math.max(0, events - before.count - got.count),
    };
  } finally {
    await setup.stop();
    await deleteKeys(ctx.redis, prefix);
  }
}

async function embedded(ctx: RunContext): Promise<Measurement> {
  const { warmMs, measureMs } = durations(ctx.smoke);
  const events = Math.round((RATE * (warmMs + measureMs)) / 1000);
  const file = writePipelineFile(ctx.tmp, 'latency-embedded', {
    pipelines: {
      latency: {
        source: { type: 'generate', preset: 'gps', count: events, rate: RATE, payloadBytes: 200 },
        processors: sealingProcessors('encode'),
        topic: 'sealed',
        sinks: [{ type: 'null', latency: true }],
      },
    },
  });
  const timeoutMs = warmMs + measureMs + 15_000;
  const child = spawnScript(
    'harness/engine-process.ts',
    { file, expect: events, timeoutMs, resetLatencyAfterMs: warmMs },
    { label: 'latency-embedded', cpuProfileDir: ctx.profileDir },
  );
  const r = (await child.result(timeoutMs + 10_000)) as {
    count: number;
    startedAt: number;
    lastAt: number;
    p50: number;
    p99: number;
    peakRssBytes: number;
  };
  return {
    eventsPerSec: r.count / Math.max(0.001, (r.lastAt - r.startedAt) / 1000),
    p50Ms: r.p50,
    p99Ms: r.p99,
    peakRssBytes: r.peakRssBytes,
    missing: Math.max(0, events - r.count),
  };
}

export const latency: Scenario = {
  name: 'latency',
  title: `5. Latency, ingest → delivery, at a paced ${RATE.toLocaleString('en-US')} events/s (200-byte events)`,
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(
      ['source:http', 'sink:http', 'source:generate', 'processor:json', 'processor:gzip', 'processor:aes-gcm'],
      true,
    );
    if (skipped) return { ...result, skipped };
    const receiver = await startReceiver();
    try {
      // Every repetition starts fresh processes and leaves out its own first seconds: no separate warm-up run.
      const variants: Variant[] = [
        {
          name: 'sluice redis',
          description: `${describeSetup('sluice', true)}; requests of 10 events`,
          measure: (rep) => overRedis(ctx, receiver, 'sluice', rep),
        },
        {
          name: 'raw redis',
          description: `${describeSetup('raw', true)}; requests of 10 events`,
          measure: (rep) => overRedis(ctx, receiver, 'raw', rep),
        },
        {
          name: 'sluice embedded',
          description:
            'generate at 3 000/s → json → gzip → aes-gcm → null sink, Engine with memory drivers in one process',
          measure: () => embedded(ctx),
        },
      ];
      result.variants = await repeat({ ...ctx, warmups: 0 }, variants);
    } finally {
      await receiver.child.stop();
    }
    const p99 = (v: string) => result.variants[v]?.metrics.p99Ms?.median ?? Number.NaN;
    result.ratios.push(
      withTarget('p99 with Redis sluice / raw', p99('sluice redis') / p99('raw redis'), { atMost: 1.5 }),
      withTarget('p99 embedded, ms', p99('sluice embedded'), { atMost: 5 }),
    );
    const { warmMs, measureMs } = durations(ctx.smoke);
    result.notes.push(
      `${warmMs / 1000} s of warm-up left out, then ${measureMs / 1000} s measured; times are whole milliseconds (Date.now), so a figure under 1 ms reads as 0–1`,
      'sluice redis and raw redis are measured alike: the same paced client, the same per-event work, the same receiver taking arrival minus send time',
    );
    return result;
  },
};
