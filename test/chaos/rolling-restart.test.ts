// A rolling restart of a 3-worker fleet onto a changed configuration, mid-run: one by one, a worker with the new
// file starts and an old one is stopped with SIGTERM. The new file changes the sink's batching and adds a
// pipeline that subscribes to the same topic from its beginning. Old and new workers share the fleet for a
// while; no event may go missing at either destination. A separate ingest process keeps producing until the
// fleet is rolled, so the restarts always fall mid-run, however fast or slow the machine.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, sequenceCounts, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker, storedEvents } from './sequence-pipeline.js';

afterAll(deletePipelineKeys);

const RATE = suiteSize() === 'full' ? 1_000 : 500;
// Delivered between two steps of the roll, so that each step happens under load.
const STEP = suiteSize() === 'full' ? 5_000 : 1_000;

const fileSink = (dir: string, folder: string, maxEvents: number) =>
  `      - type: file
        file: "${join(dir, folder)}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: ${maxEvents} }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`;

describe('a rolling restart of a 3-worker fleet onto a changed configuration', () => {
  it('loses no event at the old pipeline nor at the one the new configuration adds', async () => {
    // count 0: the sequence goes on until the ingest process is stopped.
    const options = { redisUrl: TEST_REDIS_URL, total: 0, rate: RATE };
    const v1 = sequencePipeline({ ...options, sinks: (dir) => fileSink(dir, 'out', 500) });
    const v2 = sequencePipeline(
      {
        ...options,
        sinks: (dir) => fileSink(dir, 'out', 200),
        morePipelines: (dir) => `  audit-out:\n    topic: seq\n    sinks:\n${fileSink(dir, 'audit', 300)}`,
      },
      v1,
    );
    const out = join(v1.dir, 'out');
    const audit = join(v1.dir, 'audit');
    const ingest = await startWorker(v1, 'ingest', ['--no-deliver']);
    const old = await Promise.all(['a1', 'a2', 'a3'].map((name) => startWorker(v1, name, ['--no-ingest'])));
    const delivered = () => sequenceCounts(out).size;
    await waitFor(() => delivered() >= STEP, 120_000, `${STEP} events delivered`);
    const fresh = [];
    for (const [i, worker] of old.entries()) {
      fresh.push(await startWorker(v2, `b${i + 1}`, ['--no-ingest']));
      worker.kill('SIGTERM');
      await worker.exited;
      const before = delivered();
      await waitFor(() => delivered() >= before + STEP, 120_000, `${STEP} more events delivered after step ${i + 1}`);
    }
    const rolledAt = Date.now();
    await waitFor(() => sequenceCounts(audit).size >= STEP, 120_000, `${STEP} events at the added pipeline`);
    ingest.kill('SIGTERM');
    const ingestExit = await ingest.exited;
    const total = await storedEvents(v1, TEST_REDIS_URL);
    const isComplete = await waitUntil(
      () => sequenceCounts(out).size >= total && sequenceCounts(audit).size >= total,
      240_000,
    );
    const recoverMs = isComplete ? Date.now() - rolledAt : undefined;
    await new Promise((r) => setTimeout(r, 1000));
    const outReport = deliveryReport(sequenceCounts(out), total);
    const auditReport = deliveryReport(sequenceCounts(audit), total);
    const oldExits = await Promise.all(old.map((w) => w.exited));
    recordChaosRow({
      case: 'rolling restart, 3 workers, changed config',
      tries: old.length,
      held: outReport.missing === 0 && auditReport.missing === 0 ? old.length : 0,
      report: {
        missing: outReport.missing + auditReport.missing,
        duplicates: outReport.duplicates + auditReport.duplicates,
      },
      recoverMs,
      note: `${total} events; missing at the old pipeline ${outReport.missing}, at the added one ${auditReport.missing}`,
    });
    expect(outReport.missing).toBe(0);
    expect(auditReport.missing).toBe(0);
    expect(ingestExit.code).toBe(0);
    for (const e of oldExits) expect(e.code).toBe(0);
    for (const w of fresh) w.kill('SIGTERM');
    for (const w of fresh) expect((await w.exited).code).toBe(0);
  }, 600_000);
});
