// Writes query rows as a user asked: an aligned table for a terminal, or JSON, NDJSON or CSV for programs.
// JSON, NDJSON and CSV stream chunk by chunk; the table needs every width first, so it holds its rows.

import { stringify } from 'csv-stringify/sync';
import type { QueryColumn, QueryRow } from './query-engine.js';

export const RESULT_FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export interface ResultOutput {
  write(text: string): void | Promise<void>;
}

/** A cell as text: nested values as JSON, NULL as empty in CSV and as `NULL` in a table. */
function cell(value: unknown, empty: string): string {
  if (value === null || value === undefined) return empty;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export async function writeResult(
  format: ResultFormat,
  columns: readonly QueryColumn[],
  chunks: AsyncIterable<QueryRow[]>,
  out: ResultOutput,
): Promise<number> {
  const names = columns.map((c) => c.name);
  let count = 0;
  if (format === 'table') {
    const rows: string[][] = [];
    for await (const chunk of chunks) for (const r of chunk) rows.push(names.map((n) => cell(r[n], 'NULL')));
    const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
    // Numbers align right, as every SQL shell shows them.
    const numeric = columns.map((c) => /INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/.test(c.type));
    const line = (cells: string[]) =>
      cells
        .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    await out.write(`${line(names)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
    for (const r of rows) await out.write(`${line(r)}\n`);
    await out.write(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
    return rows.length;
  }
  if (format === 'csv') await out.write(stringify([names]));
  if (format === 'json') await out.write('[');
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (format === 'csv') await out.write(stringify(chunk.map((r) => names.map((n) => cell(r[n], '')))));
    else if (format === 'ndjson') await out.write(`${chunk.map((r) => JSON.stringify(r)).join('\n')}\n`);
    else await out.write(`${count === 0 ? '\n' : ',\n'}${chunk.map((r) => JSON.stringify(r)).join(',\n')}`);
    count += chunk.length;
  }
  if (format === 'json') await out.write(count === 0 ? ']\n' : '\n]\n');
  return count;
}
