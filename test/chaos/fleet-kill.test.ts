// Workers of a fleet die under load: `sluice worker` processes on the machine's Redis carry a generated sequence
// from a topic to file sinks (one file per worker, so a batch delivered twice shows up twice). Chaos cases:
// a worker killed with SIGKILL five times over the run (a fresh one taking each dead one's place), each kill after
// a further share of the events was delivered, and a busy worker stopped with SIGTERM.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, type SluiceProcess, sequenceCounts, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { recordChaosRow } from './chaos-row.js';
import {
  deletePipelineKeys,
  type SequencePipeline,
  sequencePipeline,
  startWorker,
  storedEvents,
} from './sequence-pipeline.js';

afterAll(deletePipelineKeys);

const BATCH = 500;
const CONCURRENCY = 4;

function fleetPipeline(total: number, rate = 0): { pipeline: SequencePipeline; out: string } {
  const pipeline = sequencePipeline({
    redisUrl: TEST_REDIS_URL,
    total,
    rate,
    sinks: (dir) => `      - type: file
        name: out
        file: "${join(dir, 'out')}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: ${BATCH} }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`,
  });
  return { pipeline, out: join(pipeline.dir, 'out') };
}

function worker(pipeline: SequencePipeline, name: string): Promise<SluiceProcess> {
  return startWorker(pipeline, name, ['--grace', '20s', '--concurrency', String(CONCURRENCY)]);
}

const KILLS = 5;
// Delivered between two kills, so that every kill falls mid-run however fast or slow the machine.
const STEP = suiteSize() === 'full' ? 15_000 : 4_000;
const RATE = suiteSize() === 'full' ? 1_500 : 500;

describe('a worker fleet', () => {
  it(`loses nothing when workers are killed with SIGKILL ${KILLS} times during a run`, async () => {
    // count 0: the sequence goes on until the fleet is stopped, then a last worker delivers what is stored.
    const { pipeline, out } = fleetPipeline(0, RATE);
    const live = await Promise.all([worker(pipeline, 'w1'), worker(pipeline, 'w2'), worker(pipeline, 'w3')]);
    const delivered = () => sequenceCounts(out).size;
    let started = live.length;
    for (let kill = 1; kill <= KILLS; kill++) {
      await waitFor(() => delivered() >= kill * STEP, 180_000, `${kill * STEP} events delivered`);
      const victim = live.splice(kill % live.length, 1)[0];
      victim.kill('SIGKILL');
      await victim.exited;
      started += 1;
      live.push(await worker(pipeline, `w${started}`));
    }
    const lastKillAt = Date.now();
    await waitFor(() => delivered() >= (KILLS + 1) * STEP, 180_000, 'deliveries after the last kill');
    for (const w of live) w.kill('SIGTERM');
    const exits = await Promise.all(live.map((w) => w.exited));
    const total = await storedEvents(pipeline, TEST_REDIS_URL);
    const last = await startWorker(pipeline, `w${started + 1}`, ['--no-ingest']);
    const isComplete = await waitUntil(() => delivered() >= total, 240_000);
    const recoverMs = isComplete ? Date.now() - lastKillAt : undefined;
    // Late duplicates of a taken-over job land within a moment of the last sequence number.
    await new Promise((r) => setTimeout(r, 1000));
    const report = deliveryReport(sequenceCounts(out), total);
    // Only batches in flight on a killed worker may arrive twice: its concurrent jobs plus one being written.
    const duplicateBound = KILLS * (CONCURRENCY + 1) * BATCH;
    recordChaosRow({
      case: `worker kill -9 ×${KILLS}`,
      tries: KILLS,
      held: report.missing === 0 && report.duplicates <= duplicateBound ? KILLS : 0,
      report,
      recoverMs,
      note: `${total} events`,
    });
    expect(report.missing).toBe(0);
    expect(report.duplicates).toBeLessThanOrEqual(duplicateBound);
    for (const e of exits) expect(e.code).toBe(0);
    last.kill('SIGTERM');
    expect((await last.exited).code).toBe(0);
  }, 600_000);

  it('loses and duplicates nothing when a busy worker is stopped with SIGTERM', async () => {
    const total = suiteSize() === 'full' ? 100_000 : 30_000;
    const { pipeline, out } = fleetPipeline(total);
    const [a, b] = await Promise.all([worker(pipeline, 'a'), worker(pipeline, 'b')]);
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
