// Raw baseline, delivery half: what a minimal hand-written durable worker does. A few consumer loops of one
// consumer group read batches with XREADGROUP, run the processor work on each batch (unless told not to), POST it as one NDJSON body
// over a keep-alive undici pool, and XACK the batch once the receiver answered.
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { deliveredLine, encodeCompressEncrypt } from './processor-work.js';

interface RawWorkerSpec {
  redisUrl: string;
  stream: string;
  sinkUrl: string;
  batch: number;
  loops: number;
  /** Run the processor work (json, gzip, AES-GCM); false: deliver the values as they are. */
  seal: boolean;
}

const spec = JSON.parse(process.argv[2]) as RawWorkerSpec;
const sink = new URL(spec.sinkUrl);
const pool = new Pool(sink.origin, { connections: spec.loops });
const GROUP = 'raw';
let stopping = false;

async function loop(index: number): Promise<void> {
  const redis = new Redis(spec.redisUrl);
  while (!stopping) {
    const reply = (await redis.xreadgroup(
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
    )) as Array<[string, Array<[string, string[]]>]> | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    let body = '';
    for (const [, fields] of entries) {
      // Fields as raw-ingest wrote them: k, v, t.
      const value = JSON.parse(fields[3]);
      body += `${deliveredLine(fields[1], spec.seal ? encodeCompressEncrypt(value) : value, Number(fields[5]))}\n`;
    }
    const res = await pool.request({
      path: sink.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
    await redis.xack(spec.stream, GROUP, ...entries.map(([id]) => id));
  }
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
