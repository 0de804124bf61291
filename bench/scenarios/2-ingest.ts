// Scenario 2, ingest only: a load client POSTs NDJSON batches of 200-byte events to an HTTP ingest that stores
// them durably in Redis, and counts what was acknowledged. Sluice against the raw XADD ingest and the naive BullMQ
// ingest; also the Redis memory each keeps per stored event (the raw ingest's stream is the bare XADD).

import { skipReason } from '../harness/availability.js';
import { deleteKeys, memoryUnder } from '../harness/bench-redis.js';
import { spawnScript } from '../harness/child.js';
import { type Measurement, type RunContext, ratioOf, repeat, type Scenario } from '../harness/scenario.js';
import { describeSetup, type SetupKind, startSetup } from '../harness/setups.js';

const VALUE_BYTES = 200;

interface ClientResult {
  accepted: number;
  bytes: number;
  startedAt: number;
  endedAt: number;
}

export const ingest: Scenario = {
  name: 'ingest',
  title: '2. HTTP ingest → Redis topic (ingest only), 200-byte events',
  async run(ctx: RunContext) {
    const result = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] as string[] };
    const skipped = skipReason(['source:http'], true);
    if (skipped) return { ...result, skipped };
    const events = ctx.smoke ? 2_000 : 100_000;
    const maxMs = ctx.smoke ? 15_000 : 30_000;
    const measure =
      (kind: SetupKind) =>
      async (rep: number): Promise<Measurement> => {
        const name = `ingest-${kind}-${rep < 0 ? `w${-rep}` : rep + 1}`;
        const prefix = `${ctx.prefix}-${name}`;
        const setup = await startSetup(kind, ctx, { name, prefix });
        try {
          const client = spawnScript(
            'harness/load-client.ts',
            { url: setup.ingestUrl, events, valueBytes: VALUE_BYTES, perRequest: 100, concurrency: 16, maxMs },
            { label: `${name}-client` },
          );
          const r = (await client.result(maxMs + 15_000)) as unknown as ClientResult;
          const eventsPerSec = r.accepted / Math.max(0.001, (r.endedAt - r.startedAt) / 1000);
          const memory = await memoryUnder(ctx.redis, prefix);
          return {
            eventsPerSec,
            mbPerSec: (eventsPerSec * VALUE_BYTES) / 1e6,
            peakRssBytes: setup.peakRss(),
            redisBytesPerEvent: memory.total / Math.max(1, r.accepted),
            missing: events - r.accepted,
          };
        } finally {
          await setup.stop();
          await deleteKeys(ctx.redis, prefix);
        }
      };
    const kinds: SetupKind[] = ['sluice', 'raw', 'naive'];
    const variants = await repeat(
      ctx,
      kinds.map((kind) => ({ name: kind, description: describeSetup(kind, false), measure: measure(kind) })),
    );
    result.notes.push(
      `${events} events per run, NDJSON requests of 100 events, 16 in flight; Redis B/event counts every key the variant wrote`,
    );
    return {
      ...result,
      variants,
      ratios: [
        ratioOf('ingest sluice / raw (events/s)', variants, 'sluice', 'raw', 'eventsPerSec', { atLeast: 0.8 }),
        ratioOf('ingest sluice / naive (events/s)', variants, 'sluice', 'naive'),
        ratioOf('Redis memory per event sluice / bare XADD', variants, 'sluice', 'raw', 'redisBytesPerEvent', {
          atMost: 1.2,
        }),
      ],
    };
  },
};
