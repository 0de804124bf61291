// Raw baseline, delivery half: what a careful hand-written durable worker does. A few consumer loops of one
// consumer group each read a batch with XREADGROUP (a big COUNT, BLOCK so that nothing waits on a poll), do the
// processor work, POST the batch as one body over a keep-alive undici pool, and acknowledge it: the XACK is
// written right before the next XREADGROUP, so both take one round trip. Stored values are JSON text already
// (raw-ingest writes fields k, v, t) and go into the body without being parsed again.
//   work 'event': each value gzipped and encrypted on its own, NDJSON of events with base64 values
//   work 'batch': NDJSON of the events, gzipped once and encrypted once, POSTed as bytes
//   work 'none':  NDJSON of the events as stored
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { compressEncryptBatch, encrypt, gzip1 } from './processor-work.js';

export type RawWork = 'none' | 'event' | 'batch';

interface RawWorkerSpec {
  redisUrl: string;
  stream: string;
  sinkUrl: string;
  batch: number;
  loops: number;
  work: RawWork;
}

const spec = JSON.parse(process.argv[2]) as RawWorkerSpec;
const sink = new URL(spec.sinkUrl);
const pool = new Pool(sink.origin, { connections: spec.loops });
const GROUP = 'raw';
let stopping = false;

type Entry = [id: string, fields: string[]];

function ndjson(entries: Entry[], sealEach: boolean): string {
  let text = '';
  for (const [, f] of entries) {
    const value = sealEach ? `{"$bytes":"${encrypt(gzip1(Buffer.from(f[3], 'utf8'))).toString('base64')}"}` : f[3];
    text += `{"key":${JSON.stringify(f[1])},"value":${value},"ts":${f[5]}}\n`;
  }
  return text;
}

function bodyOf(entries: Entry[]): { body: string | Buffer; contentType: string } {
  if (spec.work === 'batch') {
    return { body: compressEncryptBatch(ndjson(entries, false)), contentType: 'application/octet-stream' };
  }
  return { body: ndjson(entries, spec.work === 'event'), contentType: 'application/x-ndjson' };
}

async function loop(index: number): Promise<void> {
  const redis = new Redis(spec.redisUrl);
  let ack: Promise<unknown> | undefined;
  while (!stopping) {
    const read = redis.xreadgroup(
      'GROUP',
      GROUP,
      `c${index}`,
      'COUNT',
      spec.batch,
      'BLOCK',
      200,
      'STREAMS',
      spec.stream,
      '>',
    ) as Promise<Array<[string, Entry[]]> | null>;
    const [reply] = await Promise.all([read, ack]);
    ack = undefined;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    const { body, contentType } = bodyOf(entries);
    const res = await pool.request({
      path: sink.pathname,
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
    ack = redis.xack(spec.stream, GROUP, ...entries.map(([id]) => id));
  }
  await ack;
  redis.disconnect();
}

const admin = new Redis(spec.redisUrl);
await admin.xgroup('CREATE', spec.stream, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
  if (!err.message.includes('BUSYGROUP')) throw err;
});
admin.disconnect();
process.stdout.write('@ready {}\n');
process.on('SIGTERM', () => {
  stopping = true;
});
await Promise.all(Array.from({ length: spec.loops }, (_, i) => loop(i)));
await pool.close();
