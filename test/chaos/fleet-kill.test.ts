// A fleet of `sluice worker` processes on the machine's Redis: 100 000 events from generate through a topic to
// file sinks, with one worker killed with SIGKILL mid-run and another started; and a busy worker stopped with
// SIGTERM. Every sequence number must arrive.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeysWithPrefix(redis, p);
  redis.disconnect();
});

function fleetConfig(total: number, url = TEST_REDIS_URL) {
  const prefix = uniquePrefix('fleet');
  prefixes.push(prefix);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fleet-'));
  const out = join(dir, 'out');
  const file = join(dir, 'fleet.yaml');
  // Each worker appends to a file of its own, so a batch delivered twice shows up twice.
  writeFileSync(
    file,
    `redis: { url: "${url}", prefix: "${prefix}" }
pipelines:
  seq:
    source: { type: generate, preset: sequence, count: ${total}, rate: 0, batchSize: 1000, keys: 16 }
    topic: seq
    sinks:
      - type: file
        name: out
        file: "${out}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: 500 }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`,
  );
  return { file, out, dir, prefix };
}

function worker(file: string, dir: string, name: string): SluiceProcess {
  return SluiceProcess.start(['worker', file, '--grace', '20s', '--concurrency', '4'], join(dir, `${name}.log`), {
    WORKER_NAME: name,
  });
}

const TOTAL = 100_000;

describe('a worker fleet', () => {
  it('loses nothing when a worker is killed with SIGKILL mid-run and another takes its place', async () => {
    const { file, out, dir } = fleetConfig(TOTAL);
    const workers = [worker(file, dir, 'w1'), worker(file, dir, 'w2'), worker(file, dir, 'w3')];
    await waitFor(() => sequenceCounts(out).size > TOTAL * 0.2, 120_000, 'a fifth of the events to arrive');
    workers[1].kill('SIGKILL');
    await workers[1].exited;
    // The killed worker was doing its share of the delivery when it died.
    expect(statSync(join(out, 'w2.ndjson')).size).toBeGreaterThan(0);
    workers.push(worker(file, dir, 'w4'));
    await waitFor(() => sequenceCounts(out).size >= TOTAL, 240_000, 'every sequence number to arrive');
    await new Promise((r) => setTimeout(r, 1000));
    const report = deliveryReport(sequenceCounts(out), TOTAL);
    console.log(`SIGKILL run: ${TOTAL} events, missing ${report.missing}, duplicates ${report.duplicates}`);
    expect(report.missing).toBe(0);
    // Only batches in flight on the killed worker may arrive twice: 4 jobs × 500 events, plus one being written.
    expect(report.duplicates).toBeLessThanOrEqual(5 * 500);
    for (const w of workers) if (w !== workers[1]) w.kill('SIGTERM');
    const exits = await Promise.all(workers.filter((w) => w !== workers[1]).map((w) => w.exited));
    for (const e of exits) expect(e.code).toBe(0);
  }, 420_000);

  it('loses and duplicates nothing when a busy worker is stopped with SIGTERM', async () => {
    const total = 30_000;
    const { file, out, dir } = fleetConfig(total);
    const a = worker(file, dir, 'a');
    const b = worker(file, dir, 'b');
    await waitFor(() => sequenceCounts(out).size > total * 0.2, 120_000, 'a fifth of the events to arrive');
    a.kill('SIGTERM');
    const exit = await a.exited;
    expect(exit.code).toBe(0);
    await waitFor(() => sequenceCounts(out).size >= total, 180_000, 'every sequence number to arrive');
    await new Promise((r) => setTimeout(r, 1000));
    const report = deliveryReport(sequenceCounts(out), total);
    console.log(`SIGTERM run: ${total} events, missing ${report.missing}, duplicates ${report.duplicates}`);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    b.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  }, 360_000);
});
