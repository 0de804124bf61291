// Turns one event into one row operation for the sink (a write of column values, or a delete by key), or into
// the reason it cannot be written. Pure: nothing here touches the database.
import jsonata from 'jsonata';
import type { SluiceEvent } from '../../core/event.js';
import { identifierProblem } from './identifiers.js';
import type { RowOp } from './row-writer.js';

/** Why an event cannot become a row: a record error for the dead-letter topic. */
export interface Refusal {
  index: number;
  message: string;
  code: string;
}

export interface EventRowsOptions {
  mode: 'insert' | 'upsert';
  keyColumns: readonly string[];
  deleteOnNull: boolean;
  /** A JSONata expression over {key, value, ts, headers, id}; the value itself when absent. */
  mapping?: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Key column values from an event key: a JSON object (or array) of them, or the key text for a single column. */
export function keyFromEventKey(key: string | null, keyColumns: readonly string[]): unknown[] | undefined {
  if (key === null || keyColumns.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(key);
    if (isPlainObject(parsed) && keyColumns.every((c) => parsed[c] !== undefined && parsed[c] !== null))
      return keyColumns.map((c) => parsed[c]);
    if (Array.isArray(parsed) && parsed.length === keyColumns.length && keyColumns.length > 1) return parsed;
  } catch {
    // not JSON: the key text itself
  }
  return keyColumns.length === 1 ? [key] : undefined;
}

export class EventRows {
  private readonly mapping: jsonata.Expression | undefined;

  constructor(private readonly options: EventRowsOptions) {
    this.mapping = options.mapping === undefined ? undefined : jsonata(options.mapping);
  }

  /** One operation per event, or the reason the event cannot be written. */
  async prepare(event: SluiceEvent, index: number): Promise<RowOp | Refusal> {
    const { keyColumns } = this.options;
    const label = `event ${event.id ?? `#${index}`}`;
    if (event.value === null) return this.deletion(event, index, label);
    let value: unknown;
    try {
      value = await this.toRow(event);
    } catch (err) {
      return { index, message: `mapping failed for ${label}: ${(err as Error).message}`, code: 'E_SQL_MAPPING' };
    }
    if (!isPlainObject(value)) {
      const what =
        value instanceof Uint8Array
          ? 'bytes (decode them first, e.g. with the json processor)'
          : (JSON.stringify(value) ?? 'nothing');
      return {
        index,
        message: `${label} gives ${what}, not an object of column values; set mapping`,
        code: 'E_SQL_MAPPING',
      };
    }
    const row: Record<string, unknown> = {};
    for (const [column, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const problem = identifierProblem(column);
      if (problem) {
        return {
          index,
          message: `${label} has field ${JSON.stringify(column)}, which as a column name ${problem}; rename it with mapping`,
          code: 'E_SQL_COLUMN',
        };
      }
      row[column] = v;
    }
    const missingKeys = keyColumns.filter((k) => row[k] === undefined || row[k] === null);
    if (missingKeys.length > 0) {
      const fromKey = keyFromEventKey(event.key, keyColumns);
      if (fromKey) for (const [i, k] of keyColumns.entries()) row[k] ??= fromKey[i];
      else if (this.options.mode === 'upsert')
        return {
          index,
          message: `${label} has no value for key column(s) ${missingKeys.join(', ')}`,
          code: 'E_SQL_KEY',
        };
    }
    if (Object.keys(row).length === 0)
      return { index, message: `${label} has no fields to write`, code: 'E_SQL_MAPPING' };
    return { index, kind: 'write', row };
  }

  private deletion(event: SluiceEvent, index: number, label: string): RowOp | Refusal {
    const { keyColumns } = this.options;
    if (!this.options.deleteOnNull)
      return { index, message: `${label} has a null value and deleteOnNull is off`, code: 'E_SQL_TOMBSTONE' };
    const key = keyFromEventKey(event.key, keyColumns);
    if (key === undefined) {
      return {
        index,
        message:
          `${label} has a null value (a delete) but its key ${JSON.stringify(event.key)} does not give ` +
          `keyColumns [${keyColumns.join(', ')}]${keyColumns.length === 0 ? '; set keyColumns' : ''}`,
        code: 'E_SQL_KEY',
      };
    }
    return { index, kind: 'delete', key };
  }

  private async toRow(event: SluiceEvent): Promise<unknown> {
    if (!this.mapping) return event.value;
    return this.mapping.evaluate({
      key: event.key,
      value: event.value,
      ts: event.ts,
      headers: event.headers,
      id: event.id,
    });
  }
}
