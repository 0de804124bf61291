// Workers of a fleet that roll files die mid-file: `sluice worker` processes on the machine's Redis carry a
// generated sequence to one folder through a `file` sink with `roll`, and two of them are killed with SIGKILL
// while files are open. The files they left open are finished by the workers that live on, once abandoned;
// every event ends in exactly one finished file, apart from a batch killed between its commit and the record of
// its ids.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, type SluiceProcess, sequenceCounts, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker } from './sequence-pipeline.js';

afterAll(deletePipelineKeys);

const BATCH = 500;
const KILLS = 2;
const TOTAL = suiteSize() === 'full' ? 60_000 : 20_000;
const RATE = suiteSize() === 'full' ? 1_000 : 400;

describe('a worker fleet rolling files', () => {
  it(`loses nothing and writes nothing twice when workers are killed with SIGKILL ${KILLS} times`, async () => {
    const pipeline = sequencePipeline({
      redisUrl: TEST_REDIS_URL,
      total: TOTAL,
      rate: RATE,
      sinks: (dir) => `      - type: file
        name: out
        directory: "${join(dir, 'out')}"
        roll: { maxEvents: 5000, maxAgeMs: 2000 }
        batch: { maxEvents: ${BATCH} }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`,
    });
    const out = join(pipeline.dir, 'out');
    const start = (name: string) => startWorker(pipeline, name, ['--grace', '20s', '--concurrency', '4']);
    const live: SluiceProcess[] = await Promise.all([start('w1'), start('w2'), start('w3')]);
    let started = live.length;
    for (let kill = 1; kill <= KILLS; kill++) {
      const progress = (TOTAL * kill) / (KILLS + 2);
      await waitFor(() => sequenceCounts(out).size > progress, 180_000, `${kill}/${KILLS + 2} of the events`);
      const victim = live.splice(0, 1)[0] as SluiceProcess;
      victim.kill('SIGKILL');
      await victim.exited;
      started += 1;
      live.push(await start(`w${started}`));
    }
    const lastKillAt = Date.now();
    // An open file counts as abandoned 2 s + 60 s after it was started; the live workers look every 10 s.
    const isComplete = await waitUntil(() => sequenceCounts(out).size >= TOTAL, 300_000);
    const recoverMs = isComplete ? Date.now() - lastKillAt : undefined;
    for (const w of live) w.kill('SIGTERM');
    for (const e of await Promise.all(live.map((w) => w.exited))) expect(e.code).toBe(0);
    const report = deliveryReport(sequenceCounts(out), TOTAL);
    const duplicateBound = KILLS * BATCH;
    recordChaosRow({
      case: `file roll, worker kill -9 ×${KILLS}, ${TOTAL} events`,
      tries: KILLS,
      held: report.missing === 0 && report.duplicates <= duplicateBound ? KILLS : 0,
      report,
      recoverMs,
    });
    expect(report.missing).toBe(0);
    expect(report.duplicates).toBeLessThanOrEqual(duplicateBound);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 600_000);
});
