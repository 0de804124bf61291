// Scenario 6, SQL against PostgreSQL: the sql sink writing generated rows, and the sql source reading a table,
// each in an embedded pipeline in a process of its own, against a plain knex loop doing the same inserts or
// selects. Tables live in the `test` database under names of this run, and are dropped afterwards.
import knex, { type Knex } from 'knex';
import { padValue } from '../../connectors/generate/presets.js';
import { skipReason } from '../harness/availability.js';
import { spawnScript } from '../harness/child.js';
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
    const rows = ctx.smoke ? 1_000 : 50_000;
    const timeoutMs = ctx.smoke ? 20_000 : 60_000;
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
      const engineRun = async (file: string, label: string, expect?: number) => {
        const child = spawnScript(
          'harness/engine-process.ts',
          { file, expect, timeoutMs },
          { label, cpuProfileDir: ctx.profileDir },
        );
        return (await child.result(timeoutMs + 15_000)) as unknown as RunResult;
      };
      const knexRun = async (mode: 'insert' | 'select', table: string) => {
        const spec = { connection: PG_URL, table, mode, rows, payloadBytes: PAYLOAD };
        const child = spawnScript('baselines/knex-loop.ts', spec, { label: `knex-${mode}` });
        return (await child.result(timeoutMs)) as unknown as RunResult;
      };
      result.variants = await repeat(ctx, [
        {
          name: 'sluice sink',
          description: `generate → sql sink (insert, offsets table in the same transaction), embedded; ${rows} rows`,
          async measure() {
            await sinkTable(db, sinkName);
            await db.schema.dropTableIfExists(offsets);
            await db.schema.dropTableIfExists(`${offsets}_ranges`);
            return toMeasurement(await engineRun(sinkFile, 'sql-sink'), rows);
          },
        },
        {
          name: 'knex insert',
          description: 'knex(table).insert(rows) in batches of 500, one after another',
          async measure() {
            await sinkTable(db, sinkName);
            return toMeasurement(await knexRun('insert', sinkName), rows);
          },
        },
        {
          name: 'sluice source',
          description: 'sql source (incrementing id, 1000 rows a poll) → null sink, embedded',
          measure: async () => toMeasurement(await engineRun(sourceFile, 'sql-source', rows), rows),
        },
        {
          name: 'knex select',
          description: 'select … where id > ? order by id limit 1000, until the table is read',
          measure: async () => toMeasurement(await knexRun('select', sourceName), rows),
        },
      ]);
    } finally {
      for (const t of [sinkName, sourceName, offsets, `${offsets}_ranges`]) await db.schema.dropTableIfExists(t).catch(() => {});
      await db.destroy();
    }
    result.ratios.push(
      ratioOf('sql sink / knex insert (rows/s)', result.variants, 'sluice sink', 'knex insert'),
      ratioOf('sql source / knex select (rows/s)', result.variants, 'sluice source', 'knex select'),
    );
    result.notes.push('no target in the issue; events/s here are rows/s');
    return result;
  },
};
