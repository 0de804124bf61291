// Scenario 6, SQL against PostgreSQL: the sql sink writing generated rows, and the sql source reading a table,
// each in an embedded pipeline in a process of its own, against a plain knex loop doing the same inserts or
// selects. Tables live in the `test` database under names of this run, and are dropped afterwards.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import knex, { type Knex } from 'knex';
import { padValue } from '../../connectors/generate/presets.js';
import { skipReason } from '../harness/availability.js';
import { spawnScript } from '../harness/child.js';
import type { RoundTrips } from '../harness/pg-round-trips.js';
import { writePipelineFile } from '../harness/pipeline-file.js';
import {
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
} from '../harness/scenario.js';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PAYLOAD = 200;

interface RunResult {
  count: number;
  startedAt: number;
  lastAt: number;
  peakRssBytes: number;
}

const toMeasurement = (r: RunResult, expected: number): Measurement => ({
  eventsPerSec: r.count / Math.max(0.001, (r.lastAt - r.startedAt) / 1000),
  peakRssBytes: r.peakRssBytes,
  missing: Math.max(0, expected - r.count),
});

async function sinkTable(db: Knex, table: string): Promise<void> {
  await db.schema.dropTableIfExists(table);
  await db.schema.createTable(table, (t) => {
    t.bigInteger('seq');
    t.text('pad');
  });
}

async function sourceTable(db: Knex, table: string, rows: number): Promise<void> {
  await db.schema.dropTableIfExists(table);
  await db.schema.createTable(table, (t) => {
    t.bigIncrements('id');
    t.bigInteger('seq');
    t.text('pad');
  });
  for (let from = 0; from < rows; from += 1000) {
    const batch = [];
    for (let i = from; i < Math.min(from + 1000, rows); i++) batch.push(padValue({ seq: i + 1 }, PAYLOAD));
    await db(table).insert(batch);
  }
}

/**
 * Rows per run: 300 000 (BENCH_SQL_ROWS to change it). At 50 000 the knex loop reads the table in about 100 ms, and
 * start-up (connecting, Sluice's checks of its tables) and JIT warm-up weigh as much as the rows.
 */
function rowsToRun(): number {
  const text = process.env.BENCH_SQL_ROWS;
  if (text === undefined) return 300_000;
  const rows = Number(text);
  if (!Number.isSafeInteger(rows) || rows < 1000)
    throw new Error(`BENCH_SQL_ROWS must be a whole number of rows, at least 1000 (got "${text}")`);
  return rows;
}

export const sql: Scenario = {
  name: 'sql',
  title: '6. SQL on PostgreSQL: sql sink and sql source against a plain knex loop (rows/s)',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(['sink:sql', 'source:sql', 'source:generate']);
    if (skipped) return { ...result, skipped };
    const db = knex({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } });
    const base = ctx.prefix.replace(/-/g, '_');
    const sinkName = `${base}_sink`;
    const offsets = `${base}_offsets`;
    const sourceName = `${base}_source`;
    const rows = ctx.smoke ? 1_000 : rowsToRun();
    const timeoutMs = ctx.smoke ? 20_000 : 60_000;
    // Round trips per batch of each variant's last run: every query of the process over its row statements.
    const roundTrips = new Map<string, RoundTrips>();
    try {
      await db.raw('select 1').catch((err) => {
        throw new Error(`the SQL scenario needs PostgreSQL at ${PG_URL}: ${(err as Error).message}`);
      });
      await sourceTable(db, sourceName, rows);
      const sinkFile = writePipelineFile(ctx.tmp, 'sql-sink', {
        pipelines: {
          rows: {
            source: {
              type: 'generate',
              preset: 'sequence',
              count: rows,
              rate: 0,
              batchSize: 500,
              payloadBytes: PAYLOAD,
            },
            topic: 'rows',
            sinks: [{ type: 'sql', client: 'pg', connection: PG_URL, table: sinkName, offsetsTable: offsets }],
          },
        },
      });
      const sourceFile = writePipelineFile(ctx.tmp, 'sql-source', {
        pipelines: {
          rows: {
            source: {
              type: 'sql',
              client: 'pg',
              connection: PG_URL,
              mode: 'incrementing',
              table: sourceName,
              incrementingColumn: 'id',
              visibilityDelayMs: 0,
              intervalMs: 100,
            },
            topic: 'rows',
            sinks: [{ type: 'null' }],
          },
        },
      });
      const counted = async (variant: string, script: string, arg: unknown, batchPattern: string, label: string) => {
        const countsFile = join(ctx.tmp, `${label}.round-trips.json`);
        const spec = { script, arg, batchPattern, countsFile };
        const child = spawnScript('harness/pg-round-trips.ts', spec, { label, cpuProfileDir: ctx.profileDir });
        const result = (await child.result(timeoutMs + 15_000)) as unknown as RunResult;
        roundTrips.set(variant, JSON.parse(readFileSync(countsFile, 'utf8')) as RoundTrips);
        return result;
      };
      const inserts = `insert into "${sinkName}"`;
      const selects = `from "${sourceName}"`;
      const engineRun = (variant: string, file: string, pattern: string, expect?: number) =>
        counted(variant, 'harness/engine-process.ts', { file, expect, timeoutMs }, pattern, variant.replace(' ', '-'));
      const knexRun = (variant: string, mode: 'insert' | 'select', table: string, pattern: string) =>
        counted(
          variant,
          'baselines/knex-loop.ts',
          { connection: PG_URL, table, mode, rows, payloadBytes: PAYLOAD },
          pattern,
          variant.replace(' ', '-'),
        );
      result.variants = await repeat(ctx, [
        {
          name: 'sluice sink',
          description: `generate → sql sink (insert, offsets written atomically with the rows), embedded; ${rows} rows`,
          async measure() {
            await sinkTable(db, sinkName);
            await db.schema.dropTableIfExists(offsets);
            await db.schema.dropTableIfExists(`${offsets}_ranges`);
            return toMeasurement(await engineRun('sluice sink', sinkFile, inserts), rows);
          },
        },
        {
          name: 'knex insert',
          description:
            'knex(table).insert(rows): one multi-row INSERT per batch of 500, each its own commit (as the sink)',
          async measure() {
            await sinkTable(db, sinkName);
            return toMeasurement(await knexRun('knex insert', 'insert', sinkName, inserts), rows);
          },
        },
        {
          name: 'sluice source',
          description: 'sql source (incrementing id, 1000 rows a poll) → null sink, embedded',
          measure: async () => toMeasurement(await engineRun('sluice source', sourceFile, selects, rows), rows),
        },
        {
          name: 'knex select',
          description: 'select … where id > ? order by id limit 1000, until the table is read',
          measure: async () => toMeasurement(await knexRun('knex select', 'select', sourceName, selects), rows),
        },
      ]);
    } finally {
      for (const t of [sinkName, sourceName, offsets, `${offsets}_ranges`])
        await db.schema.dropTableIfExists(t).catch(() => {});
      await db.destroy();
    }
    result.ratios.push(
      ratioOf('sql sink / knex insert (rows/s)', result.variants, 'sluice sink', 'knex insert', 'eventsPerSec', {
        atLeast: 0.8,
      }),
      ratioOf('sql source / knex select (rows/s)', result.variants, 'sluice source', 'knex select', 'eventsPerSec', {
        atLeast: 0.8,
      }),
    );
    for (const [variant, { queries, batches }] of roundTrips) {
      const per = batches > 0 ? (queries / batches).toFixed(2) : 'n/a';
      result.notes.push(
        `${variant}: ${per} PostgreSQL round trips per batch (${queries} queries, connection set-up included, ` +
          `over ${batches} row statements: ${Math.round(rows / Math.max(1, batches))} rows each)`,
      );
    }
    result.notes.push('events/s here are rows/s');
    return result;
  },
};
