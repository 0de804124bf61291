// A sink that drops what it is given, for benchmarks of everything before it. It keeps a tally in this module
// (count, bytes, first and last write, ingest-to-delivery latency from each event's time) that the in-process
// bench runner reads; loaded through `plugins:` it is just a sink that throws nothing away slowly.
import { defineSink, z } from '../../core/plugin.js';
import { LatencySamples } from '../harness/stats.js';

export const nullSinkTally = {
  count: 0,
  bytes: 0,
  firstAt: 0,
  lastAt: 0,
  latency: new LatencySamples(),
};

export default defineSink({
  name: 'null',
  summary: 'Drop every event (benchmarks): counts events and bytes, and their latency from the event time.',
  config: z.object({
    latency: z.boolean().default(false).describe('Record now minus each event time, ms.'),
  }),
  create: ({ latency }) => ({
    async write(batch) {
      const now = Date.now();
      const tally = nullSinkTally;
      if (tally.firstAt === 0) tally.firstAt = now;
      tally.lastAt = now;
      tally.count += batch.length;
      for (const e of batch) {
        const v = e.value;
        if (v instanceof Uint8Array) tally.bytes += v.byteLength;
        if (latency) tally.latency.add(now - e.ts);
      }
    },
  }),
});
