// What a query needs from storage, read from DuckDB's own parse of the statement (json_serialize_sql): which
// topics it names, and the time bounds on each that can be pushed down to the stream read. Only conjuncts of
// the top-level WHERE are pushed, and only for a topic named once in the statement, so a bound never narrows
// a read that another part of the query needs whole. Reads only ever get wider than the predicate; DuckDB
// still applies the predicate itself.

import type { DuckDBConnection } from '@duckdb/node-api';
import { queryError } from './query-error.js';

/** Inclusive bounds, ms since the epoch. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface TopicBounds {
  /** Bounds on `ts`, the event time. */
  eventTime: TimeRange;
  /** Bounds on `stored`, the stored time (what stream ids are made of). */
  storedTime: TimeRange;
}

export interface QueryPlan {
  /** Topics the statement reads, with what of their time range it needs. */
  topics: Map<string, TopicBounds>;
}

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Calls `visit` on every object in the tree. */
function walk(tree: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(tree)) for (const item of tree) walk(item, visit);
  else if (isNode(tree)) {
    visit(tree);
    for (const v of Object.values(tree)) walk(v, visit);
  }
}

async function serialize(connection: DuckDBConnection, sql: string): Promise<Node> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  return JSON.parse(String(reader.getRows()[0][0])) as Node;
}

export async function planQuery(
  connection: DuckDBConnection,
  sql: string,
  topicNames: readonly string[],
): Promise<QueryPlan> {
  const tree = await serialize(connection, sql);
  if (tree.error) {
    const position = Number(tree.position);
    const message = String(tree.error_message);
    if (/only SELECT/i.test(message) || tree.error_type === 'not implemented')
      throw queryError(sql, message, undefined, 'queries read stored events: write one SELECT statement');
    throw queryError(sql, message, Number.isFinite(position) ? position : undefined);
  }
  const statements = tree.statements as Node[];
  if (statements.length !== 1) {
    throw queryError(sql, `${statements.length} statements given`, undefined, 'write exactly one SELECT statement');
  }
  const statement = statements[0].node;
  const ctes = new Set<string>();
  walk(statement, (n) => {
    const map = (n.cte_map as { map?: Array<{ key: string }> } | undefined)?.map;
    for (const entry of map ?? []) ctes.add(entry.key.toLowerCase());
  });
  const byLowerName = new Map(topicNames.map((t) => [t.toLowerCase(), t]));
  const references = new Map<string, number>();
  const aliases = new Map<string, string>();
  walk(statement, (n) => {
    if (n.type !== 'BASE_TABLE' || typeof n.table_name !== 'string') return;
    const named = n.table_name;
    const topic = topicNames.includes(named) ? named : byLowerName.get(named.toLowerCase());
    if (topic === undefined) {
      if (ctes.has(named.toLowerCase()) || n.schema_name) return;
      throw queryError(
        sql,
        `there is no topic "${named}"`,
        Number(n.query_location),
        topicNames.length > 0
          ? `topics: ${topicNames.map((t) => `"${t}"`).join(', ')} (quote names with dots or dashes: "gps.dlq")`
          : 'no topic is stored yet',
      );
    }
    references.set(topic, (references.get(topic) ?? 0) + 1);
    aliases.set(((n.alias as string) || named).toLowerCase(), topic);
  });
  const topics = new Map<string, TopicBounds>();
  for (const topic of references.keys()) topics.set(topic, { eventTime: {}, storedTime: {} });
  if (isNode(statement) && statement.type === 'SELECT_NODE' && isNode(statement.where_clause)) {
    const once = [...references].filter(([, n]) => n === 1).map(([t]) => t);
    const onlyTopic = references.size === 1 ? once[0] : undefined;
    for (const bound of await timeBounds(connection, statement.where_clause)) {
      const topic = bound.table === undefined ? onlyTopic : aliases.get(bound.table);
      if (topic === undefined || !once.includes(topic)) continue;
      const bounds = topics.get(topic) as TopicBounds;
      narrow(bound.column === 'ts' ? bounds.eventTime : bounds.storedTime, bound);
    }
  }
  return { topics };
}

interface Bound {
  table?: string;
  column: 'ts' | 'stored';
  from?: number;
  to?: number;
}

function narrow(range: TimeRange, bound: Bound): void {
  if (bound.from !== undefined) range.from = Math.max(range.from ?? bound.from, bound.from);
  if (bound.to !== undefined) range.to = Math.min(range.to ?? bound.to, bound.to);
}

function conjuncts(where: Node): Node[] {
  if (where.type === 'CONJUNCTION_AND') return (where.children as Node[]).flatMap(conjuncts);
  return [where];
}

/** `ts` or `stored`, optionally qualified by a table or alias, as a column reference node. */
function timeColumn(node: unknown): { table?: string; column: 'ts' | 'stored' } | undefined {
  if (!isNode(node) || node.type !== 'COLUMN_REF') return undefined;
  const names = (node.column_names as string[]).map((n) => n.toLowerCase());
  const column = names[names.length - 1];
  if ((column !== 'ts' && column !== 'stored') || names.length > 2) return undefined;
  return { table: names.length === 2 ? names[0] : undefined, column };
}

function hasColumns(node: unknown): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === 'COLUMN_REF' || n.type === 'SUBQUERY') found = true;
  });
  return found;
}

const LOWER = new Set(['COMPARE_GREATERTHAN', 'COMPARE_GREATERTHANOREQUALTO']);
const UPPER = new Set(['COMPARE_LESSTHAN', 'COMPARE_LESSTHANOREQUALTO']);
const FLIP: Record<string, string> = {
  COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN',
  COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO',
  COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN',
  COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO',
  COMPARE_EQUAL: 'COMPARE_EQUAL',
};

async function timeBounds(connection: DuckDBConnection, where: Node): Promise<Bound[]> {
  const bounds: Bound[] = [];
  for (const c of conjuncts(where)) {
    if (c.type === 'COMPARE_BETWEEN') {
      const col = timeColumn(c.input);
      if (!col || hasColumns(c.lower) || hasColumns(c.upper)) continue;
      bounds.push({
        ...col,
        from: await evaluateTime(connection, c.lower),
        to: await evaluateTime(connection, c.upper),
      });
      continue;
    }
    let type = String(c.type);
    if (!(type in FLIP)) continue;
    let col = timeColumn(c.left);
    let other = c.right;
    if (!col) {
      col = timeColumn(c.right);
      other = c.left;
      type = FLIP[type];
    }
    if (!col || hasColumns(other)) continue;
    const at = await evaluateTime(connection, other);
    if (at === undefined) continue;
    if (LOWER.has(type)) bounds.push({ ...col, from: at });
    else if (UPPER.has(type)) bounds.push({ ...col, to: at });
    else bounds.push({ ...col, from: at, to: at });
  }
  return bounds;
}

/** The time a constant expression (`now() - INTERVAL 1 HOUR`, `'2024-01-01'`) stands for, in ms. */
async function evaluateTime(connection: DuckDBConnection, expression: unknown): Promise<number | undefined> {
  try {
    const template = await serialize(connection, 'SELECT NULL');
    const node = (template.statements as Node[])[0].node as Node;
    node.select_list = [expression];
    // Unknown locations are 2^64-1, which JSON numbers cannot carry back exactly; the text needs none.
    walk(template, (n) => {
      if ('query_location' in n) n.query_location = 0;
    });
    const text = await connection.runAndReadAll('SELECT json_deserialize_sql($1::VARCHAR::JSON)', [
      JSON.stringify(template),
    ]);
    const reader = await connection.runAndReadAll(
      `SELECT epoch_ms(CAST(v AS TIMESTAMPTZ)) FROM (${String(text.getRows()[0][0])}) AS bound(v)`,
    );
    const ms = Number(reader.getRows()[0][0]);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    // Not a time (a number, a string DuckDB cannot cast): nothing to push down, the predicate still applies.
    return undefined;
  }
}
