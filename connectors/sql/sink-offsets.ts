// Effectively-once writes: the sink keeps, per consumer and topic partition, the id of the last event it wrote,
// in a small table of the destination database, updated in the same transaction as the rows. A redelivered
// event (a retry after a crash between commit and acknowledgement) has an id at or below that mark and is
// skipped. Event ids are `<partition>-<ms>-<seq>`; a plain string compare would put `0-999-0` after
// `0-1000-0`, so ids are compared as numbers within their partition.
//
// This relies on what the runtime guarantees for ordered sinks: one batch in flight per partition, delivered in
// id order. The row lock taken on the offsets row also serialises two deliveries of the same batch.
import type { Knex } from 'knex';
import type { Database } from './connection.js';
import { type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';

export interface EventPosition {
  partition: number;
  ms: bigint;
  seq: bigint;
}

const EVENT_ID = /^(\d+)-(\d+)-(\d+)$/;

/** The position of an event id, or undefined for an id that is not `<partition>-<ms>-<seq>`. */
export function parseEventPosition(id: string | undefined): EventPosition | undefined {
  if (id === undefined) return undefined;
  const m = EVENT_ID.exec(id);
  if (!m) return undefined;
  return { partition: Number(m[1]), ms: BigInt(m[2]), seq: BigInt(m[3]) };
}

/** Compares two positions of the same partition: negative, zero or positive. */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function formatPosition(p: EventPosition): string {
  return `${p.partition}-${p.ms}-${p.seq}`;
}

export class OffsetsTable {
  private readonly table: string;
  private readonly known = new Set<number>();
  private isCreated = false;

  constructor(
    private readonly db: Database,
    name: QualifiedName,
    private readonly consumer: string,
  ) {
    this.table = quoteQualified(db.dialect, name);
  }

  private get columns() {
    const q = (n: string) => quoteIdentifier(this.db.dialect, n);
    return {
      consumer: q('consumer'),
      partition: q('topic_partition'),
      lastId: q('last_id'),
      updatedAt: q('updated_at'),
    };
  }

  /** Creates the table if needed and makes sure a row exists for each partition, so that it can be locked. */
  async prepare(partitions: Iterable<number>): Promise<void> {
    const c = this.columns;
    if (!this.isCreated) {
      const updatedAt =
        this.db.dialect === 'mysql2' ? 'TIMESTAMP(6) NULL' : this.db.dialect === 'pg' ? 'timestamptz' : 'TEXT';
      await this.db.knex.raw(
        `CREATE TABLE IF NOT EXISTS ${this.table} (${c.consumer} VARCHAR(255) NOT NULL, ${c.partition} INTEGER NOT NULL, ` +
          `${c.lastId} VARCHAR(64) NOT NULL, ${c.updatedAt} ${updatedAt}, PRIMARY KEY (${c.consumer}, ${c.partition}))`,
      );
      this.isCreated = true;
    }
    const missing = [...partitions].filter((p) => !this.known.has(p));
    if (missing.length === 0) return;
    const values = missing.map(() => "(?, ?, '')").join(', ');
    const conflict =
      this.db.dialect === 'mysql2'
        ? ` ON DUPLICATE KEY UPDATE ${c.lastId} = ${c.lastId}`
        : ` ON CONFLICT (${c.consumer}, ${c.partition}) DO NOTHING`;
    await this.db.knex.raw(
      `INSERT INTO ${this.table} (${c.consumer}, ${c.partition}, ${c.lastId}) VALUES ${values}${conflict}`,
      missing.flatMap((p) => [this.consumer, p]),
    );
    for (const p of missing) this.known.add(p);
  }

  /** Locks the partitions' rows for this transaction and returns their last written positions. */
  async lock(trx: Knex.Transaction, partitions: readonly number[]): Promise<Map<number, EventPosition>> {
    const c = this.columns;
    const forUpdate = this.db.dialect === 'better-sqlite3' ? '' : ' FOR UPDATE';
    const rows = (await selectRows(
      trx,
      `SELECT ${c.partition} AS p, ${c.lastId} AS id FROM ${this.table} WHERE ${c.consumer} = ? AND ` +
        `${c.partition} IN (${partitions.map(() => '?').join(', ')})${forUpdate}`,
      [this.consumer, ...partitions],
    )) as Array<{ p: number | bigint; id: string }>;
    const marks = new Map<number, EventPosition>();
    for (const row of rows) {
      const position = parseEventPosition(row.id);
      if (position) marks.set(Number(row.p), position);
    }
    return marks;
  }

  async save(trx: Knex.Transaction, marks: ReadonlyMap<number, EventPosition>): Promise<void> {
    const c = this.columns;
    for (const [partition, position] of marks) {
      await trx.raw(
        `UPDATE ${this.table} SET ${c.lastId} = ?, ${c.updatedAt} = CURRENT_TIMESTAMP WHERE ${c.consumer} = ? AND ${c.partition} = ?`,
        [formatPosition(position), this.consumer, partition],
      );
    }
  }
}

/** Rows of a SELECT run through knex, whatever shape the driver returns them in. */
export async function selectRows(
  k: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly unknown[],
): Promise<unknown[]> {
  const result = (await k.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  if (Array.isArray(result)) return Array.isArray(result[0]) ? result[0] : result; // mysql2: [rows, fields]; SQLite: rows
  return (result as { rows: unknown[] }).rows; // pg
}
