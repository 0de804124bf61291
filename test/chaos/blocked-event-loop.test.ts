// A processor blocks a worker's event loop past its job lock (5 s): the fleet takes the job over, as it must
// for a dead worker, and the frozen worker wakes up mid-job. The job may run twice, but the frozen run must not
// begin its side effect once it lost the job: the receiver counts every sequence number in every whole request,
// repeats included, and which worker sent each (a header naming it). When the frozen worker is also the one
// polling the source, a poll it had begun must not be stored once it wakes: its successor stored from the same
// checkpoint (those duplicates would come with other event ids, so other keys).

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, waitFor, waitUntil } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { SequenceReceiver } from '../harness/sequence-receiver.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker } from './sequence-pipeline.js';

const PLUGIN = fileURLToPath(new URL('./fixtures/block-event-loop.ts', import.meta.url));

const receivers: SequenceReceiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await deletePipelineKeys();
});

/** When the block began (ms since the epoch): the processor creates its marker file right before it. */
const blockedAt = (dir: string) => Math.round(statSync(join(dir, 'blocked')).mtimeMs);

const TOTAL = suiteSize() === 'full' ? 20_000 : 5_000;
const BLOCK_MS = suiteSize() === 'full' ? 20_000 : 12_000;

/**
 * Runs the sequence through two workers, one of which freezes for BLOCK_MS in the chosen chain: the sink's (a
 * delivery) or the source's (a poll, between its lease check and its append).
 */
async function freezeCase(where: 'sink' | 'source'): Promise<void> {
  const receiver = await SequenceReceiver.start();
  receivers.push(receiver);
  const blockedSeq = Math.floor(TOTAL / 4);
  const block = (dir: string) =>
    `      - { type: chaos-block-event-loop, seq: ${blockedSeq}, ms: ${BLOCK_MS}, marker: "${join(dir, 'blocked')}" }\n`;
  const pipeline = sequencePipeline({
    redisUrl: TEST_REDIS_URL,
    total: TOTAL,
    rate: TOTAL / 20,
    extra: `plugins: ["${PLUGIN}"]`,
    processors: where === 'sink' ? block : undefined,
    inbound: where === 'source' ? block : undefined,
    sinks: `      - type: http
        url: ${receiver.url}
        headers: { x-sender: "\${WORKER_NAME}" }
        batch: { maxEvents: 100 }
        retry: { attempts: 1000, baseMs: 100, capMs: 2000 }
`,
  });
  const workers = await Promise.all([startWorker(pipeline, 'a'), startWorker(pipeline, 'b')]);
  await waitFor(() => receiver.rawCounts.has(blockedSeq), 180_000, `sequence number ${blockedSeq} to be delivered`);
  const deliveredAt = Date.now();
  const isComplete = await waitUntil(() => receiver.rawCounts.size >= TOTAL, 240_000);
  const recoverMs = isComplete ? Date.now() - deliveredAt : undefined;
  // The frozen worker wakes BLOCK_MS after it froze: wait that long past the takeover for a late repeat.
  await new Promise((r) => setTimeout(r, BLOCK_MS + 3000));
  const report = deliveryReport(receiver.rawCounts, TOTAL);
  const afterKeys = deliveryReport(receiver.counts, TOTAL);
  // A request already on the wire when the event loop froze cannot be told from one lost with a dead worker: the
  // fleet sends it again, with the same Idempotency-Key. What must not happen is the frozen worker, once awake,
  // writing a batch the fleet had given to the other one meanwhile, or storing a poll the other one stored too.
  const frozen = readFileSync(join(pipeline.dir, 'blocked'), 'utf8');
  const begunAfterLoss = receiver.repeats.filter((r) => r.sender === frozen && r.first.sender !== frozen).length;
  recordChaosRow({
    case: `event loop blocked ${BLOCK_MS / 1000} s (lock 5 s) in the ${where}'s chain`,
    tries: 1,
    held: report.missing === 0 && afterKeys.duplicates === 0 && begunAfterLoss === 0 ? 1 : 0,
    report,
    recoverMs,
    note: `requests sent again ${receiver.repeatedKeys} (begun after the lock was lost ${begunAfterLoss}), duplicates after dropping repeated keys ${afterKeys.duplicates}`,
  });
  if (afterKeys.duplicates > 0)
    console.error(`requests that repeated events:\n${receiver.requestsWithRepeats().join('\n')}`);
  if (begunAfterLoss > 0) {
    const lines = receiver.repeats.map(
      (r) => `${r.key}: first from ${r.first.sender} at ${r.first.at}, again from ${r.sender} at ${r.at}`,
    );
    console.error(
      `requests sent again (the frozen worker is ${frozen}, blocked from ${blockedAt(pipeline.dir)}):\n${lines.join('\n')}`,
    );
  }
  expect(report.missing).toBe(0);
  expect(begunAfterLoss).toBe(0);
  expect(afterKeys.duplicates).toBe(0);
  for (const w of workers) w.kill('SIGTERM');
  for (const w of workers) expect((await w.exited).code).toBe(0);
}

describe('a processor that blocks the event loop past the job lock', () => {
  it(
    `begins no write twice when a worker is frozen for ${BLOCK_MS / 1000} s delivering`,
    () => freezeCase('sink'),
    600_000,
  );

  it(
    `stores no poll twice when the poller is frozen for ${BLOCK_MS / 1000} s before its append`,
    () => freezeCase('source'),
    600_000,
  );
});
