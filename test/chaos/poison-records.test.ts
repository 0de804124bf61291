// Poison records among good ones: an HTTP ingest stores request bodies as they are (format raw); the outbound
// chain parses them as JSON and checks them against a schema. One body in ten is cut short (not JSON) and one
// in ten has a field of the wrong type. Each poison record must reach the dead-letter topic once, with its reason, and every
// good one must be delivered.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { countSequences, deliveryReport, sequenceCounts, waitUntil } from '../harness/fleet.js';
import { freePort } from '../harness/loopback.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';
import { recordChaosRow } from './chaos-row.js';
import { deletePipelineKeys, sequencePipeline, startWorker } from './sequence-pipeline.js';

afterAll(deletePipelineKeys);

const TOTAL = suiteSize() === 'full' ? 10_000 : 2_000;

function body(seq: number): string {
  if (seq % 10 === 0) return `{"seq": ${seq}, "speed": `;
  if (seq % 10 === 5) return `{"seq": ${seq}, "speed": "fast"}`;
  return `{"seq": ${seq}, "speed": 42}`;
}
const isPoison = (seq: number) => seq % 10 === 0 || seq % 10 === 5;

interface DeadLetter {
  seq: number;
  reason: string;
}

/** The dead letters written by the file sink of the DLQ topic; the value is the stored body, as bytes. */
function deadLetters(dir: string): DeadLetter[] {
  if (!existsSync(dir)) return [];
  const letters: DeadLetter[] = [];
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const event = JSON.parse(line) as { value: unknown; headers: Record<string, string> };
      const text =
        typeof event.value === 'object' && event.value !== null && '$bytes' in event.value
          ? Buffer.from((event.value as { $bytes: string }).$bytes, 'base64').toString('utf8')
          : JSON.stringify(event.value);
      const seq = Number(/"seq"\s*:\s*(\d+)/.exec(text)?.[1]);
      letters.push({ seq, reason: event.headers['sluice-error'] ?? '' });
    }
  }
  return letters;
}

async function post(url: string, seqs: number[]): Promise<void> {
  for (const seq of seqs) {
    const res = await fetch(url, { method: 'POST', body: body(seq), headers: { 'content-type': 'text/plain' } });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status} for seq ${seq}: ${await res.text()}`);
  }
}

describe('poison records', () => {
  it('go to the dead-letter topic one by one with their reason while the good ones are delivered', async () => {
    const port = await freePort();
    const pipeline = sequencePipeline({
      redisUrl: TEST_REDIS_URL,
      source: `{ type: http, port: ${port}, path: /in, format: raw }`,
      processors: `      - { type: json }
      - type: json-schema
        schema: { type: object, required: [seq, speed], properties: { seq: { type: integer }, speed: { type: number } } }
`,
      sinks: (dir) => `      - { type: file, file: "${join(dir, 'out')}/a.ndjson", batch: { maxEvents: 100 } }\n`,
      morePipelines: (dir) => `  dlq-out:
    topic: seq-out.dlq
    sinks:
      - { type: file, file: "${join(dir, 'dlq')}/a.ndjson", batch: { maxEvents: 100 } }
`,
    });
    const out = join(pipeline.dir, 'out');
    const dlq = join(pipeline.dir, 'dlq');
    const worker = await startWorker(pipeline, 'a');
    const seqs = Array.from({ length: TOTAL }, (_, i) => i + 1);
    const url = `http://127.0.0.1:${port}/in`;
    await Promise.all(
      Array.from({ length: 8 }, (_, lane) =>
        post(
          url,
          seqs.filter((s) => s % 8 === lane),
        ),
      ),
    );
    const postedAt = Date.now();
    const poison = seqs.filter(isPoison);
    const good = seqs.filter((s) => !isPoison(s));
    const isSettled = await waitUntil(
      () => sequenceCounts(out).size >= good.length && deadLetters(dlq).length >= poison.length,
      120_000,
    );
    const recoverMs = isSettled ? Date.now() - postedAt : undefined;
    await new Promise((r) => setTimeout(r, 1000));
    const outCounts = sequenceCounts(out);
    const delivered = deliveryReport(outCounts, good);
    const letters = deadLetters(dlq);
    const inDlq = deliveryReport(countSequences(letters.map((l) => l.seq)), poison);
    const withReason = new Set(letters.filter((l) => isPoison(l.seq) && l.reason.length > 0).map((l) => l.seq));
    const wronglyDelivered = poison.filter((s) => outCounts.has(s)).length;
    recordChaosRow({
      case: `poison records (${poison.length} of ${TOTAL})`,
      tries: poison.length,
      held: withReason.size,
      report: { missing: delivered.missing + inDlq.missing, duplicates: delivered.duplicates + inDlq.duplicates },
      recoverMs,
    });
    expect(delivered).toMatchObject({ missing: 0, duplicates: 0 });
    expect(inDlq).toMatchObject({ missing: 0, duplicates: 0 });
    expect(withReason.size).toBe(poison.length);
    expect(wronglyDelivered).toBe(0);
    expect(letters.find((l) => l.seq % 10 === 0)?.reason).toMatch(/json/i);
    expect(letters.find((l) => l.seq % 10 === 5)?.reason).toMatch(/speed/);
    worker.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  }, 300_000);
});
