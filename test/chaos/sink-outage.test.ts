// A sink's receiver fails every request (503) for 30 s (4 s in the reduced suite) in the middle of a run. Once it
// answers again every event is delivered, and a receiver that remembers Idempotency-Keys sees nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { SequenceReceiver } from '../harness/sequence-receiver.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker } from './sequence-pipeline.js';

let receiver: SequenceReceiver;
beforeAll(async () => {
  receiver = await SequenceReceiver.start();
});
afterAll(async () => {
  await receiver.close();
  await deletePipelineKeys();
});

const OUTAGE_MS = suiteSize() === 'full' ? 30_000 : 4_000;
const TOTAL = suiteSize() === 'full' ? 100_000 : 20_000;

describe('a sink whose receiver fails', () => {
  it(`delivers everything once the receiver is back after ${OUTAGE_MS / 1000} s of 503s, nothing twice`, async () => {
    const pipeline = sequencePipeline({
      redisUrl: TEST_REDIS_URL,
      total: TOTAL,
      rate: 0,
      sinks: `      - type: http
        url: ${receiver.url}
        batch: { maxEvents: 200 }
        retry: { attempts: 1000, baseMs: 100, capMs: 2000 }
`,
    });
    // The receiver itself starts failing at a tenth, so the outage falls mid-run however fast delivery goes.
    receiver.failAfter = TOTAL / 10;
    const workers = await Promise.all([startWorker(pipeline, 'a'), startWorker(pipeline, 'b')]);
    await waitFor(() => receiver.isFailing, 120_000, 'a tenth of the events');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const refusedDuringOutage = receiver.refused;
    receiver.isFailing = false;
    const backAt = Date.now();
    const isComplete = await waitUntil(() => receiver.counts.size >= TOTAL, 240_000);
    const recoverMs = isComplete ? Date.now() - backAt : undefined;
    // A redelivery still in its backoff would land within its cap (2 s): give it the time to show up.
    await new Promise((r) => setTimeout(r, 3000));
    const report = deliveryReport(receiver.counts, TOTAL);
    recordChaosRow({
      case: `sink failing ${OUTAGE_MS / 1000} s (idempotent receiver)`,
      tries: 1,
      held: refusedDuringOutage > 0 && report.missing === 0 && report.duplicates === 0 ? 1 : 0,
      report,
      recoverMs,
    });
    expect(refusedDuringOutage).toBeGreaterThan(0);
    expect(report).toMatchObject({ missing: 0, duplicates: 0 });
    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code).toBe(0);
  }, 400_000);
});
