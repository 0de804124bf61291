// An embedded `sluice run` (memory storage) answers SQL over what it holds at POST /query: rows as NDJSON,
// a bad query as 400 with its position.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { freePort } from '../harness/loopback.js';

const processes: SluiceProcess[] = [];
afterAll(async () => {
  for (const p of processes) {
    p.kill('SIGTERM');
    await p.exited;
  }
});

async function ask(port: number, sql: string, format = 'ndjson'): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/query?format=${format}`, { method: 'POST', body: sql });
  return { status: res.status, text: await res.text() };
}

describe('the query endpoint of an embedded run', { timeout: 300_000 }, () => {
  it('answers over the events the run holds in memory, dead letters included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-query-endpoint-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `pipelines:
  rooms:
    source: { type: generate, preset: temperature, count: 120, keys: 3, rate: 0 }
    topic: rooms
`,
    );
    const port = await freePort();
    const run = SluiceProcess.start(['run', file, '--query-port', String(port)], join(dir, 'run.log'));
    processes.push(run);
    await waitFor(
      async () => {
        const r = await ask(port, 'SELECT count(*) AS n FROM rooms').catch(() => undefined);
        return r?.status === 200 && JSON.parse(r.text).n === 120;
      },
      240_000,
      `the 120 events to be queryable (log: ${run.logFile})`,
    );
    const perRoom = await ask(port, `SELECT key, count(*) AS n FROM rooms GROUP BY key ORDER BY key`);
    expect(
      perRoom.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { key: 'room_1', n: 40 },
      { key: 'room_2', n: 40 },
      { key: 'room_3', n: 40 },
    ]);
    const csv = await ask(
      port,
      `SELECT key, min(value::DOUBLE) > 15 AS warm FROM rooms GROUP BY key ORDER BY key`,
      'csv',
    );
    expect(csv.text).toBe('key,warm\nroom_1,true\nroom_2,true\nroom_3,true\n');

    const bad = await ask(port, 'SELECT key FROM rooms WHERE');
    expect(bad.status).toBe(400);
    const error = JSON.parse(bad.text).error;
    expect(error.code).toBe('E_QUERY');
    expect(error.message).toMatch(/syntax error/);
    expect(error.details.position).toMatchObject({ line: 1 });

    const dlq = await ask(port, 'SELECT count(*) AS n, count(reason) AS reasons FROM "rooms.dlq"');
    expect(JSON.parse(dlq.text)).toEqual({ n: 0, reasons: 0 });
  });
});
