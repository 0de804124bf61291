// Baseline of the SQL scenario: a plain knex loop. `insert`: the rows the generate source makes (sequence preset,
// padded), in batches of 500, one INSERT each. `select`: the whole table read in pages of 1000 by id.
import knex from 'knex';
import { padValue } from '../../connectors/generate/presets.js';

const spec = JSON.parse(process.argv[2]) as {
  connection: string;
  table: string;
  mode: 'insert' | 'select';
  rows: number;
  payloadBytes: number;
};
// The clock includes connecting, as the Sluice runs' includes the engine's start.
const startedAt = Date.now();
const db = knex({ client: 'pg', connection: spec.connection, pool: { min: 1, max: 4 } });
await db.raw('select 1');

let count = 0;
if (spec.mode === 'insert') {
  for (let from = 0; from < spec.rows; from += 500) {
    const rows = [];
    for (let i = from; i < Math.min(from + 500, spec.rows); i++) rows.push(padValue({ seq: i + 1 }, spec.payloadBytes));
    await db(spec.table).insert(rows);
    count += rows.length;
  }
} else {
  let last = 0;
  for (;;) {
    const rows = await db(spec.table).where('id', '>', last).orderBy('id').limit(1000);
    if (rows.length === 0) break;
    count += rows.length;
    last = Number(rows[rows.length - 1].id);
  }
}
const lastAt = Date.now();
await db.destroy();
process.stdout.write(
  `@result ${JSON.stringify({ count, startedAt, lastAt, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
