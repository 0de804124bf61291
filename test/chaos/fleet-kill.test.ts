// Workers of a fleet die under load: `sluice worker` processes on the machine's Redis carry a generated sequence
// from a topic to file sinks (one file per worker, so a batch delivered twice shows up twice). Chaos cases:
// a worker killed with SIGKILL five times over the run (a fresh one taking each dead one's place) and a busy
// worker stopped with SIGTERM.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor, waitUntil } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { recordChaosRow } from './chaos-row.js';

let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  for (const p of prefixes) await deleteKeysWithPrefix(redis, p);
  redis.disconnect();
});

const BATCH = 500;
const CONCURRENCY = 4;

function fleetConfig(total: number) {
  const prefix = uniquePrefix('fleet');
  prefixes.push(prefix);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fleet-'));
  const out = join(dir, 'out');
  const file = join(dir, 'fleet.yaml');
  writeFileSync(
    file,
    `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  seq:
    source: { type: generate, preset: sequence, count: ${total}, rate: 0, batchSize: 1000, keys: 16 }
    topic: seq
    sinks:
      - type: file
        name: out
        file: "${out}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: ${BATCH} }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`,
  );
  return { file, out, dir };
}

function worker(file: string, dir: string, name: string): SluiceProcess {
  return SluiceProcess.start(
    ['worker', file, '--grace', '20s', '--concurrency', String(CONCURRENCY)],
    join(dir, `${name}.log`),
    {
      WORKER_NAME: name,
    },
  );
}

const KILLS = 5;
const TOTAL = suiteSize() === 'full' ? 100_000 : 30_000;

describe('a worker fleet', () => {
  it(`loses nothing when workers are killed with SIGKILL ${KILLS} times during a ${TOTAL}-event run`, async () => {
    const { file, out, dir } = fleetConfig(TOTAL);
    const live = [worker(file, dir, 'w1'), worker(file, dir, 'w2'), worker(file, dir, 'w3')];
    let started = live.length;
    for (let kill = 1; kill <= KILLS; kill++) {
      const progress = (TOTAL * kill) / (KILLS + 2);
      await waitFor(() => sequenceCounts(out).size > progress, 180_000, `${kill}/${KILLS + 2} of the events`);
      const victim = live.splice(kill % live.length, 1)[0];
      victim.kill('SIGKILL');
      await victim.exited;
      started += 1;
      live.push(worker(file, dir, `w${started}`));
    }
    const lastKillAt = Date.now();
    const isComplete = await waitUntil(() => sequenceCounts(out).size >= TOTAL, 240_000);
    const recoverMs = isComplete ? Date.now() - lastKillAt : undefined;
    await Promise.all(live.map((w) => w.whenStarted()));
    // Late duplicates of a taken-over job land within a moment of the last sequence number.
    await new Promise((r) => setTimeout(r, 1000));
    const report = deliveryReport(sequenceCounts(out), TOTAL);
    // Only batches in flight on a killed worker may arrive twice: its concurrent jobs plus one being written.
    const duplicateBound = KILLS * (CONCURRENCY + 1) * BATCH;
    recordChaosRow({
      case: `worker kill -9 ×${KILLS}, ${TOTAL} events`,
      tries: KILLS,
      held: report.missing === 0 && report.duplicates <= duplicateBound ? KILLS : 0,
      report,
      recoverMs,
    });
    expect(report.missing).toBe(0);
    expect(report.duplicates).toBeLessThanOrEqual(duplicateBound);
    for (const w of live) w.kill('SIGTERM');
    for (const e of await Promise.all(live.map((w) => w.exited))) expect(e.code).toBe(0);
  }, 600_000);

  it('loses and duplicates nothing when a busy worker is stopped with SIGTERM', async () => {
    const total = suiteSize() === 'full' ? 100_000 : 30_000;
    const { file, out, dir } = fleetConfig(total);
    const a = worker(file, dir, 'a');
    const b = worker(file, dir, 'b');
    await waitFor(() => sequenceCounts(out).size > total * 0.2, 120_000, 'a fifth of the events to arrive');
    a.kill('SIGTERM');
    const exit = await a.exited;
    const stoppedAt = Date.now();
    const isComplete = await waitUntil(() => sequenceCounts(out).size >= total, 180_000);
    const recoverMs = isComplete ? Date.now() - stoppedAt : undefined;
    await new Promise((r) => setTimeout(r, 1000));
    const report = deliveryReport(sequenceCounts(out), total);
    const isHeld = exit.code === 0 && report.missing === 0 && report.duplicates === 0;
    recordChaosRow({ case: `worker SIGTERM, ${total} events`, tries: 1, held: isHeld ? 1 : 0, report, recoverMs });
    expect(exit.code).toBe(0);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    b.kill('SIGTERM');
    expect((await b.exited).code).toBe(0);
  }, 360_000);
});
