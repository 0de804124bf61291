// Scenario 7, the query engine on Redis: 1 000 000 stored GPS readings (10 000 in --smoke). The baseline is
// merely reading every event through the paged scan; the query reads the same events into DuckDB and runs a
// GROUP BY key with avg and p95. A second query asks for the last 1% of the stored-time range: its count of
// entries read shows the time bound was pushed down to the stream read, not filtered after reading all.
import { createEvent } from '../../core/event.js';
import { loadDuckDB } from '../../core/query/duckdb-loader.js';
import { query } from '../../core/query/query-engine.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { REDIS_URL } from '../harness/bench-redis.js';
import {
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
  withTarget,
} from '../harness/scenario.js';

const TOPIC = 'gps';
const CARS = 100;
// Small appends spread the events over many milliseconds of stored time, as a steady stream would: about
// 2000 appends whatever the size, so that 1% of the time range holds about 1% of the entries.
const appendBatch = (events: number) => Math.max(1, Math.round(events / 2000));

const GROUP_BY = `SELECT key, avg((value->>'speed')::DOUBLE) AS avg_speed,
  quantile_cont((value->>'speed')::DOUBLE, 0.95) AS p95_speed FROM gps GROUP BY key`;

async function fill(storage: RedisStorage, events: number, log: (l: string) => void): Promise<void> {
  await storage.ensureTopic({ name: TOPIC, partitions: 4 });
  const t0 = Date.now();
  const batchSize = appendBatch(events);
  for (let from = 0; from < events; from += batchSize) {
    const batch = [];
    for (let i = from; i < Math.min(events, from + batchSize); i++) {
      const car = i % CARS;
      batch.push(
        createEvent({
          key: `car-${car}`,
          value: { speed: (i * 37) % 130, lat: 43.8 + car / 1000, lon: -79.4 - car / 1000 },
          ts: Date.now(),
        }),
      );
    }
    await storage.append(TOPIC, batch);
  }
  log(`  stored ${events} events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export const queryScenario: Scenario = {
  name: 'query',
  title: '7. Query engine on Redis: GROUP BY key with avg and p95 against merely reading the events (events/s)',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const events = ctx.smoke ? 10_000 : 1_000_000;
    const storage = await RedisStorage.connect({ url: REDIS_URL, prefix: `${ctx.prefix}-query` });
    try {
      await fill(storage, events, ctx.log);
      // The engine's native module loads once per process, before the first query: not a cost of each query.
      await loadDuckDB();
      const timed = async (work: () => Promise<number>): Promise<Measurement> => {
        const t0 = performance.now();
        const count = await work();
        const seconds = (performance.now() - t0) / 1000;
        return { eventsPerSec: count / seconds, peakRssBytes: process.memoryUsage().rss, missing: events - count };
      };
      result.variants = await repeat(ctx, [
        {
          name: 'read',
          description: 'baseline: every stored event read from Redis through the paged scan, nothing else',
          measure: () =>
            timed(async () => {
              let n = 0;
              for await (const page of storage.scan(TOPIC)) n += page.length;
              return n;
            }),
        },
        {
          name: 'query',
          description: 'sluice query: the same events read into DuckDB, GROUP BY key with avg and p95',
          measure: () =>
            timed(async () => {
              const r = await query(storage, GROUP_BY);
              const rows = await r.all();
              if (rows.length !== CARS) throw new Error(`the GROUP BY returned ${rows.length} rows, not ${CARS}`);
              return r.stats.entriesRead[TOPIC];
            }),
        },
      ]);
      result.ratios.push(
        ratioOf('query time ÷ read time (GROUP BY, avg, p95)', result.variants, 'read', 'query', 'eventsPerSec', {
          atMost: 3,
        }),
      );
      const info = await storage.topicInfo(TOPIC);
      const oldest = info.oldestTime as number;
      const newest = info.newestTime as number;
      const from = newest - Math.max(1, Math.round((newest - oldest) / 100));
      const recent = await query(storage, `SELECT count(*) AS n FROM gps WHERE stored >= epoch_ms(${from}::BIGINT)`);
      const [{ n }] = await recent.all();
      const read = recent.stats.entriesRead[TOPIC];
      result.ratios.push(
        withTarget('entries read ÷ entries stored, query over the last 1% of the time range', read / events, {
          atMost: 0.03,
        }),
      );
      result.notes.push(
        `last 1% of the stored-time range: ${read} entries read of ${events} stored, ${n} matched; ${CARS} keys, 4 partitions`,
      );
    } finally {
      await storage.close();
    }
    return result;
  },
};
