// Bare-loop baseline of the embedded scenario: the same events the generate source makes, in batches of the
// same size, through the same work (JSON encode, gzip level 1, AES-256-GCM) written plainly, and dropped.
import { padValue, presetEvent } from '../../connectors/generate/presets.js';
import { encodeCompressEncrypt } from './processor-work.js';

const spec = JSON.parse(process.argv[2]) as { events: number; payloadBytes: number; batchSize: number };
const options = { preset: 'gps' as const, keys: 3, seed: 1 };

const startedAt = Date.now();
let bytes = 0;
for (let from = 0; from < spec.events; from += spec.batchSize) {
  const now = Date.now();
  const batch = [];
  for (let i = from; i < Math.min(from + spec.batchSize, spec.events); i++) {
    const e = presetEvent(options, i, now);
    batch.push({ key: e.key, value: padValue(e.value, spec.payloadBytes), ts: e.ts, headers: {} });
  }
  for (const e of batch) bytes += encodeCompressEncrypt(e.value).length;
}
const lastAt = Date.now();
process.stdout.write(
  `@result ${JSON.stringify({ count: spec.events, bytes, startedAt, lastAt, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
