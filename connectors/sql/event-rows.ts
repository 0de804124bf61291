// Turns one event into one row operation for the sink (a write of column values, or a delete by key), or into
// the reason it cannot be written. Pure: nothing here touches the database.
import jsonata from 'jsonata';
import type { SluiceEvent } from '../../core/event.js';
import { identifierProblem } from './identifiers.js';
import type { RowOp } from './row-writer.js';
import { parseEventPosition, sortablePosition } from './sink-offsets.js';

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
  /** Set to the event's position (sortable text) on every write, when the event has one. */
  versionColumn?: string;
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

function label(event: SluiceEvent, index: number): string {
  return `event ${event.id ?? `#${index}`}`;
}

export class EventRows {
  private readonly mapping: jsonata.Expression | undefined;
  /** Field names already found to be valid column names: each is checked once, not once per event. */
  private readonly columnNames = new Set<string>();

  constructor(private readonly options: EventRowsOptions) {
    this.mapping = options.mapping === undefined ? undefined : jsonata(options.mapping);
  }

  /**
   * One operation per event of the batch, or the reason an event cannot be written. Without a mapping nothing
   * here waits: only JSONata's evaluation is asynchronous.
   */
  async prepareBatch(batch: readonly SluiceEvent[]): Promise<{ ops: RowOp[]; refusals: Refusal[] }> {
    const ops: RowOp[] = [];
    const refusals: Refusal[] = [];
    for (let index = 0; index < batch.length; index++) {
      const event = batch[index];
      const prepared =
        event.value === null
          ? this.deletion(event, index)
          : this.toOp(event, index, this.mapping ? await this.mapped(event, index) : { value: event.value });
      if ('kind' in prepared) ops.push(prepared);
      else refusals.push(prepared);
    }
    return { ops, refusals };
  }

  private async mapped(event: SluiceEvent, index: number): Promise<{ value: unknown } | Refusal> {
    try {
      const value: unknown = await this.mapping!.evaluate({
        key: event.key,
        value: event.value,
        ts: event.ts,
        headers: event.headers,
        id: event.id,
      });
      return { value };
    } catch (err) {
      const message = `mapping failed for ${label(event, index)}: ${(err as Error).message}`;
      return { index, message, code: 'E_SQL_MAPPING' };
    }
  }

  private toOp(event: SluiceEvent, index: number, mapped: { value: unknown } | Refusal): RowOp | Refusal {
    if (!('value' in mapped)) return mapped;
    const { value } = mapped;
    const { keyColumns } = this.options;
    if (!isPlainObject(value)) {
      const what =
        value instanceof Uint8Array
          ? 'bytes (decode them first, e.g. with the json processor)'
          : (JSON.stringify(value) ?? 'nothing');
      return {
        index,
        message: `${label(event, index)} gives ${what}, not an object of column values; set mapping`,
        code: 'E_SQL_MAPPING',
      };
    }
    const fields = Object.keys(value);
    let hasUndefined = false;
    for (const column of fields) {
      if (value[column] === undefined) {
        hasUndefined = true;
        continue;
      }
      if (this.columnNames.has(column)) continue;
      const problem = identifierProblem(column);
      if (problem) {
        return {
          index,
          message: `${label(event, index)} has field ${JSON.stringify(column)}, which as a column name ${problem}; rename it with mapping`,
          code: 'E_SQL_COLUMN',
        };
      }
      this.columnNames.add(column);
    }
    const missingKeys =
      keyColumns.length === 0 ? keyColumns : keyColumns.filter((k) => value[k] === undefined || value[k] === null);
    const { versionColumn } = this.options;
    // The value itself is the row when nothing needs adding or leaving out: the row is only read from here on.
    if (!hasUndefined && missingKeys.length === 0 && versionColumn === undefined) {
      if (fields.length === 0)
        return { index, message: `${label(event, index)} has no fields to write`, code: 'E_SQL_MAPPING' };
      return { index, kind: 'write', row: value };
    }
    const row: Record<string, unknown> = {};
    for (const column of fields) if (value[column] !== undefined) row[column] = value[column];
    if (missingKeys.length > 0) {
      const fromKey = keyFromEventKey(event.key, keyColumns);
      if (fromKey) for (const [i, k] of keyColumns.entries()) row[k] ??= fromKey[i];
      else if (this.options.mode === 'upsert')
        return {
          index,
          message: `${label(event, index)} has no value for key column(s) ${missingKeys.join(', ')}`,
          code: 'E_SQL_KEY',
        };
    }
    if (Object.keys(row).length === 0)
      return { index, message: `${label(event, index)} has no fields to write`, code: 'E_SQL_MAPPING' };
    const position = versionColumn === undefined ? undefined : parseEventPosition(event.id);
    if (versionColumn !== undefined) row[versionColumn] = position === undefined ? null : sortablePosition(position);
    return { index, kind: 'write', row };
  }

  private deletion(event: SluiceEvent, index: number): RowOp | Refusal {
    const { keyColumns } = this.options;
    if (!this.options.deleteOnNull)
      return {
        index,
        message: `${label(event, index)} has a null value and deleteOnNull is off`,
        code: 'E_SQL_TOMBSTONE',
      };
    const key = keyFromEventKey(event.key, keyColumns);
    if (key === undefined) {
      return {
        index,
        message:
          `${label(event, index)} has a null value (a delete) but its key ${JSON.stringify(event.key)} does not give ` +
          `keyColumns [${keyColumns.join(', ')}]${keyColumns.length === 0 ? '; set keyColumns' : ''}`,
        code: 'E_SQL_KEY',
      };
    }
    return { index, kind: 'delete', key };
  }
}
