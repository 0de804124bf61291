// Naive baseline, delivery half: a BullMQ worker that takes one job per event, runs the processor work on it and
// POSTs it alone to the receiver over a keep-alive undici pool. Generous settings for the common way: 50 jobs
// at once, not BullMQ's default of one, each with a connection of its own.
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import type { IngestEvent } from './ndjson-server.js';
import { deliveredLine, encodeCompressEncrypt } from './processor-work.js';

const spec = JSON.parse(process.argv[2]) as {
  redisUrl: string;
  prefix: string;
  queue: string;
  sinkUrl: string;
  concurrency: number;
  /** Run the processor work (json, gzip, AES-GCM); false: deliver the values as they are. */
  seal: boolean;
};
const sink = new URL(spec.sinkUrl);
const pool = new Pool(sink.origin, { connections: spec.concurrency });
// BullMQ does not close connections it was given: this process closes it on exit.
const connection = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });

const worker = new Worker(
  spec.queue,
  async (job: Job<IngestEvent>) => {
    const { key, value, ts } = job.data;
    const res = await pool.request({
      path: sink.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: deliveredLine(key, spec.seal ? encodeCompressEncrypt(value) : value, ts),
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
  },
  { connection, prefix: spec.prefix, concurrency: spec.concurrency },
);
await worker.waitUntilReady();
process.stdout.write('@ready {}\n');
process.on('SIGTERM', async () => {
  await worker.close();
  await pool.close();
  connection.disconnect();
  process.exit(0);
});
