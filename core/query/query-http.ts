// The query endpoint's handler, apart from any server, so that it can be mounted on whichever port serves it:
// POST the SQL as the body (text, or JSON `{"sql": …}`); rows stream back as NDJSON (or ?format=json|csv).
// A bad query answers 400 with the error, its code and its position; nothing else about the server leaks.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { toSluiceError } from '../errors.js';
import type { Storage } from '../storage/storage.js';
import { type QueryOptions, query } from './query-engine.js';
import { RESULT_FORMATS, type ResultFormat, writeResult } from './result-format.js';

/** Largest statement accepted, bytes: a query is text a person or a program wrote, not data. */
const MAX_BODY = 256 * 1024;

const CONTENT_TYPES: Record<ResultFormat, string> = {
  table: 'text/plain; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_BODY) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

function sqlOf(body: string, contentType: string | undefined): string {
  if (!contentType?.includes('json')) return body;
  const parsed = JSON.parse(body) as { sql?: unknown };
  return typeof parsed.sql === 'string' ? parsed.sql : '';
}

function fail(res: ServerResponse, status: number, code: string, message: string, details?: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }));
}

function write(res: ServerResponse, text: string): Promise<void> | void {
  if (res.write(text)) return;
  return new Promise((resolve) => res.once('drain', () => resolve()));
}

/**
 * Answers one query request over `storage`. `parsed` is the JSON body when a server already read it (the admin
 * port reads JSON bodies for its routes); otherwise the body is read here.
 */
export async function handleQueryRequest(
  req: IncomingMessage,
  res: ServerResponse,
  storage: Storage,
  options: QueryOptions = {},
  parsed?: unknown,
): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return fail(res, 405, 'E_METHOD', 'POST the SQL statement as the request body');
  }
  const format = (new URL(req.url ?? '/', 'http://query').searchParams.get('format') ?? 'ndjson') as ResultFormat;
  if (!RESULT_FORMATS.includes(format)) {
    return fail(res, 400, 'E_FORMAT', `format "${format}" is not one of ${RESULT_FORMATS.join(', ')}`);
  }
  const body = parsed === undefined ? await readBody(req) : JSON.stringify(parsed);
  if (body === undefined) return fail(res, 413, 'E_TOO_LARGE', `the statement is longer than ${MAX_BODY} bytes`);
  let sql: string;
  try {
    sql = sqlOf(body, req.headers['content-type']).trim();
  } catch {
    return fail(res, 400, 'E_BODY', 'the body is not JSON; send {"sql": "SELECT …"} or the SQL as text');
  }
  if (sql === '') return fail(res, 400, 'E_QUERY', 'the request has no SQL statement');
  let result: Awaited<ReturnType<typeof query>>;
  try {
    result = await query(storage, sql, options);
  } catch (err) {
    const e = toSluiceError(err);
    return fail(res, e.kind === 'config' ? 400 : 503, e.code, e.message, e.details);
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[format],
    'x-sluice-entries-read': String(Object.values(result.stats.entriesRead).reduce((a, b) => a + b, 0)),
  });
  try {
    await writeResult(format, result.columns, result.chunks(), { write: (t) => write(res, t) });
    res.end();
  } catch {
    // The rows have started: the status is sent, so cutting the response short is how the client learns.
    res.destroy();
  } finally {
    result.close();
  }
}
