// The load client, a process of its own: POSTs NDJSON batches of events to an ingest URL, as fast as the server
// answers (bounded by `concurrency` requests in flight) or paced at `ratePerSec`, until `events` are accepted or
// `maxMs` has passed. Each event carries its send time as its timestamp, which the receiver turns into latency.
// A refused request (503 when overloaded, a connection error) is sent again after a short pause.
import { Pool } from 'undici';
import { keyOf, valuePool } from './payload.js';

export interface LoadSpec {
  url: string;
  events: number;
  valueBytes: number;
  perRequest: number;
  concurrency: number;
  /** Events per second; absent: as fast as possible. */
  ratePerSec?: number;
  maxMs: number;
}

const spec = JSON.parse(process.argv[2]) as LoadSpec;
const url = new URL(spec.url);
const pool = new Pool(url.origin, { connections: spec.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
const values = valuePool(spec.valueBytes);
const keys = Array.from({ length: 1000 }, (_, i) => JSON.stringify(keyOf(i)));

let next = 0;
let accepted = 0;
let bytes = 0;
let retries = 0;
const statuses: Record<string, number> = {};

function body(from: number, count: number): string {
  const ts = Date.now();
  let text = '';
  for (let i = from; i < from + count; i++) {
    text += `{"key":${keys[i % 1000]},"value":${values[i & 255]},"timestamp":${ts}}\n`;
  }
  return text;
}

async function send(from: number, count: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const text = body(from, count);
    try {
      const res = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: text,
      });
      await res.body.dump();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode < 300) {
        accepted += count;
        bytes += Buffer.byteLength(text);
        return;
      }
    } catch {
      statuses.error = (statuses.error ?? 0) + 1;
    }
    retries++;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function flatOut(startedAt: number): Promise<void> {
  const deadline = startedAt + spec.maxMs;
  const worker = async () => {
    while (next < spec.events && Date.now() < deadline) {
      const from = next;
      const count = Math.min(spec.perRequest, spec.events - from);
      next += count;
      await send(from, count, deadline);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
}

/** Sends one request every perRequest/rate seconds, on schedule; late requests are sent at once, not skipped. */
async function paced(startedAt: number, rate: number): Promise<{ lateMs: number }> {
  const deadline = startedAt + spec.maxMs;
  const everyMs = (spec.perRequest / rate) * 1000;
  const inFlight = new Set<Promise<void>>();
  let lateMs = 0;
  for (let i = 0; next < spec.events && Date.now() < deadline; i++) {
    const due = startedAt + i * everyMs;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else lateMs = Math.max(lateMs, -wait);
    while (inFlight.size >= spec.concurrency) await Promise.race(inFlight);
    const from = next;
    const count = Math.min(spec.perRequest, spec.events - from);
    next += count;
    const p = send(from, count, deadline).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { lateMs };
}

const startedAt = Date.now();
const cpuAtStart = process.cpuUsage();
const pacing = spec.ratePerSec ? await paced(startedAt, spec.ratePerSec) : undefined;
if (!spec.ratePerSec) await flatOut(startedAt);
const endedAt = Date.now();
const cpu = process.cpuUsage(cpuAtStart);
await pool.close();
process.stdout.write(
  `@result ${JSON.stringify({ accepted, bytes, retries, statuses, startedAt, endedAt, cpuSeconds: (cpu.user + cpu.system) / 1e6, lateMs: pacing?.lateMs ?? 0 })}\n`,
);
