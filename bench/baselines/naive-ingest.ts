// Naive baseline, ingest half: the same pipeline written the common way with BullMQ, one job per event. Each
// request's events are added with one addBulk, and the request is answered once BullMQ has stored them.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { serveNdjson } from './ndjson-server.js';

const {
  redisUrl,
  prefix,
  queue: name,
} = JSON.parse(process.argv[2]) as {
  redisUrl: string;
  prefix: string;
  queue: string;
};
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(name, { connection, prefix });

serveNdjson(async (events) => {
  await queue.addBulk(
    events.map((data) => ({ name: 'event', data, opts: { removeOnComplete: true, removeOnFail: 1000 } })),
  );
});
process.on('SIGTERM', async () => {
  await queue.close();
  connection.disconnect();
  process.exit(0);
});
