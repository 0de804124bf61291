// What an operator reads while a sink's receiver answers 503: one warning naming the pipeline and the sink when
// it starts failing and one line when it recovers, not a line (or a stack) per failed batch.
import { afterAll, describe, expect, it } from 'vitest';
import { deletePipelineKeys, sequencePipeline, startWorker } from '../chaos/sequence-pipeline.js';
import { type SluiceProcess, waitFor } from '../harness/fleet.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { SequenceReceiver } from '../harness/sequence-receiver.js';

const TOTAL = 400;
let receiver: SequenceReceiver;
let worker: SluiceProcess | undefined;

afterAll(async () => {
  worker?.kill('SIGTERM');
  await worker?.exited;
  await receiver?.close();
  await deletePipelineKeys();
});

describe('the log of a failing sink', () => {
  it('says once that the sink fails and once that it recovered, however many batches failed', async () => {
    receiver = await SequenceReceiver.start();
    receiver.isFailing = true;
    const pipeline = sequencePipeline({
      redisUrl: TEST_REDIS_URL,
      total: TOTAL,
      rate: 0,
      sinks: `      - type: http
        name: receiver
        url: ${receiver.url}
        batch: { maxEvents: 20 }
        retry: { attempts: 1000, baseMs: 20, capMs: 100 }
`,
    });
    worker = await startWorker(pipeline, 'w', ['--log-format', 'json']);
    await waitFor(() => receiver.refused >= 30, 120_000, '30 refused batches');
    receiver.isFailing = false;
    await waitFor(() => receiver.counts.size >= TOTAL, 120_000, 'every event after the receiver is back');
    await waitFor(() => (worker?.log() ?? '').includes('recovered after'), 30_000, 'the recovery line');
    const lines = (worker?.log() ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; pipeline?: string; sink?: string; stack?: string });
    const aboutSink = lines.filter((l) => l.sink === 'receiver');
    expect(aboutSink.filter((l) => / is failing: /.test(l.msg))).toHaveLength(1);
    expect(aboutSink.filter((l) => /recovered after/.test(l.msg))).toHaveLength(1);
    expect(aboutSink.every((l) => l.pipeline === 'seq-out')).toBe(true);
    expect(lines.filter((l) => l.level >= 40).length).toBeLessThan(5);
    expect(JSON.stringify(lines)).not.toMatch(/"stack"/);
  }, 300_000);
});
