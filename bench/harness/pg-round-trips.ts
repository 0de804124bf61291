// Runs another bench script in this process and counts its PostgreSQL round trips: node-postgres sends one query
// at a time and waits for the server's answer, so each `Client.query` call is one round trip (a multi-statement
// query text is one). `batchPattern` marks the statement that carries a batch's rows (an INSERT into the sink's
// table, a SELECT from the source's), so that the count can be read per batch. The counts go to `countsFile` when
// the process exits, since the script's own `@result` line is what the bench reads from stdout.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface RoundTrips {
  /** Every query of the process, connection set-up and catalog reads included. */
  queries: number;
  /** Queries matching `batchPattern`. */
  batches: number;
}

const spec = JSON.parse(process.argv[2]) as { script: string; arg: unknown; batchPattern: string; countsFile: string };
const pattern = new RegExp(spec.batchPattern, 'i');
const counts: RoundTrips = { queries: 0, batches: 0 };

const pg = createRequire(import.meta.url)('pg') as {
  Client: { prototype: { query: (...args: unknown[]) => unknown } };
};
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  counts.queries++;
  if (pattern.test(text)) counts.batches++;
  return query.apply(this, args);
};
process.on('exit', () => writeFileSync(spec.countsFile, JSON.stringify(counts)));

process.argv[2] = JSON.stringify(spec.arg);
await import(new URL(`../${spec.script}`, import.meta.url).href);
