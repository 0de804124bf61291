// Raw baseline, ingest half: what a minimal hand-written durable ingest does. Each request's events are
// appended to one Redis Stream in one pipelined batch of XADDs, and the request is answered once Redis has them.
import { Redis } from 'ioredis';
import { serveNdjson } from './ndjson-server.js';

const { redisUrl, stream } = JSON.parse(process.argv[2]) as { redisUrl: string; stream: string };
const redis = new Redis(redisUrl);

serveNdjson(async (events) => {
  const batch = redis.pipeline();
  for (const e of events) batch.xadd(stream, '*', 'k', e.key ?? '', 'v', JSON.stringify(e.value), 't', String(e.ts));
  const results = await batch.exec();
  for (const [err] of results ?? []) if (err) throw err;
});
process.on('SIGTERM', () => {
  redis.disconnect();
  process.exit(0);
});
