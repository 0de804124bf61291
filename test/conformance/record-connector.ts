// The parts of the connector conformance suite (connector.ts) that fit connectors carrying records rather than
// files (HTTP, SQL): a round trip from the connector's sink to its matching source, a redelivered batch at an
// effectively-once sink, exactly-once reading across restarts for poll sources, bad input, and a connection cut
// while writing. What a connector does not promise is switched off in its capabilities and reported as skipped,
// by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource, SinkInstance, WriteResult } from '../../core/plugin.js';

export interface RecordCapabilities {
  /** An event's key comes back from the source. */
  keys: boolean;
  /** An event's time comes back from the source. */
  timestamps: boolean;
  /** A redelivered batch (the same ids) adds nothing at the destination. */
  effectivelyOnceSink: boolean;
}

/** One fresh destination per test: a table, a path. */
export interface RecordChannel {
  sink(): Promise<SinkInstance>;
  /** Every event the matching source has brought in so far (a poll source drained, a push source's store). */
  readBack(): Promise<SluiceEvent[]>;
  /** A new instance of the poll source (what a restart looks like), reading `batchSize` records a poll. */
  pollSource?(batchSize: number): Promise<PollSource>;
  /** Cuts the connection between the sink and its server halfway through the next chunk that crosses it. */
  cut?(): void;
  close(): Promise<void>;
}

export interface RecordConnectorUnderTest {
  capabilities: RecordCapabilities;
  channel(): Promise<RecordChannel>;
  /** An event's value the sink refuses as a record error (the rest of its batch is written). */
  badValue?: (n: number) => unknown;
  cleanup?(): Promise<void>;
}

/** The values the suite writes: `n` is unique per test, `s` tests text beyond ASCII. */
const suiteValue = (n: number) => ({ n, s: `é ✓ ${n}` });

/** Events as storage hands them to a sink: ids `<partition>-<ms>-<seq>`, one millisecond per run. */
function events(from: number, count: number, runMs: number): SluiceEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `0-${runMs}-${from + i}`,
    key: `k${(from + i) % 5}`,
    value: suiteValue(from + i),
    ts: 1_700_000_000_000 + from + i,
    headers: {},
  }));
}

let lastRunMs = 0;
/** A millisecond of its own for each use, so no two tests' ids meet. */
const runMs = () => {
  lastRunMs = Math.max(Date.now(), lastRunMs + 1);
  return lastRunMs;
};

const numbers = (read: SluiceEvent[]) => read.map((e) => (e.value as { n: number }).n).sort((a, b) => a - b);

async function waitForCount(channel: RecordChannel, count: number): Promise<SluiceEvent[]> {
  const deadline = Date.now() + 30_000;
  let read = await channel.readBack();
  while (read.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    read = await channel.readBack();
  }
  return read;
}

export function describeRecordConnectorConformance(name: string, make: () => Promise<RecordConnectorUnderTest>): void {
  describe(`record connector conformance: ${name}`, () => {
    let subject: RecordConnectorUnderTest;
    const opened: RecordChannel[] = [];
    const channel = async () => {
      const c = await subject.channel();
      opened.push(c);
      return c;
    };

    beforeAll(async () => {
      subject = await make();
    }, 120_000);
    afterAll(async () => {
      for (const c of opened.splice(0)) await c.close();
      await subject?.cleanup?.();
    }, 120_000);

    it('round trip: what the sink writes the source reads back, values exactly', async () => {
      const c = await channel();
      const batch = events(1, 3, runMs());
      const sink = await c.sink();
      expect((await sink.write(batch)) ?? {}).toEqual({});
      await sink.close?.();
      const read = await waitForCount(c, batch.length);
      const byN = new Map(read.map((e) => [(e.value as { n: number }).n, e]));
      for (const sent of batch) {
        const got = byN.get((sent.value as { n: number }).n);
        expect(got?.value).toMatchObject(sent.value as object);
        if (subject.capabilities.keys) expect(got?.key).toBe(sent.key);
        if (subject.capabilities.timestamps) expect(got?.ts).toBe(sent.ts);
      }
      expect(read).toHaveLength(batch.length);
    });

    it('a redelivered batch adds nothing at the destination', async (ctx) => {
      if (!subject.capabilities.effectivelyOnceSink) {
        ctx.skip(`${name} does not promise an effectively-once sink`);
        return;
      }
      const c = await channel();
      const batch = events(1, 20, runMs());
      const sink = await c.sink();
      // The runtime redelivers a job's own range: the same events in the same batch.
      await sink.write(batch);
      await sink.write(batch);
      await sink.close?.();
      const read = await waitForCount(c, batch.length);
      await new Promise((r) => setTimeout(r, 300));
      expect(numbers(await c.readBack())).toEqual(numbers(read));
      expect(numbers(read)).toEqual(batch.map((_, i) => i + 1));
    });

    it('reads every record exactly once across restarts, a few per poll', async (ctx) => {
      const c = await channel();
      if (!c.pollSource) {
        ctx.skip(`${name} has no poll source: its source is pushed to and answers once stored`);
        return;
      }
      const sink = await c.sink();
      await sink.write(events(1, 95, runMs()));
      await sink.close?.();
      const seen: number[] = [];
      let checkpoint: unknown;
      for (let restarts = 0; restarts < 50; restarts++) {
        const source = await c.pollSource(7);
        const result = await source.poll(checkpoint);
        await source.close?.();
        for (const e of result.events) seen.push((e.value as { n: number }).n);
        checkpoint = result.checkpoint;
        if (!result.hasMore && result.events.length === 0) break;
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    });

    it('rejects a bad record with its reason and writes the rest of the batch', async (ctx) => {
      if (!subject.badValue) {
        ctx.skip(`${name} has no record its sink refuses on its own`);
        return;
      }
      const c = await channel();
      const batch = events(1, 5, runMs());
      batch[2] = { ...(batch[2] as SluiceEvent), value: subject.badValue(3) };
      const sink = await c.sink();
      const result = (await sink.write(batch)) as WriteResult | undefined;
      await sink.close?.();
      expect(result?.rejected?.map((r) => r.index)).toEqual([2]);
      expect(result?.rejected?.[0]?.error).toMatchObject({ kind: 'record', message: expect.any(String) });
      expect(numbers(await waitForCount(c, 4))).toEqual([1, 2, 4, 5]);
    });

    it('every write settles after a connection cut, and retrying delivers every record', async (ctx) => {
      const c = await channel();
      if (!c.cut) {
        ctx.skip(`${name} has no connection to cut`);
        return;
      }
      const sink = await c.sink();
      const total = 2_000;
      const cutMs = runMs();
      const batches = Array.from({ length: 20 }, (_, i) => events(i * 100 + 1, 100, cutMs));
      let failures = 0;
      for (const [i, batch] of batches.entries()) {
        if (i % 5 === 2) c.cut();
        for (let attempt = 0; ; attempt++) {
          try {
            await sink.write(batch);
            break;
          } catch (err) {
            // Settled with an error: it must be one the runtime retries, and a retry must go through.
            expect((err as { kind?: string }).kind).toBe('retryable');
            failures += 1;
            expect(attempt).toBeLessThan(10);
          }
        }
      }
      await sink.close?.();
      const read = await waitForCount(c, total);
      const got = numbers(read);
      expect(new Set(got).size).toBe(total);
      if (subject.capabilities.effectivelyOnceSink) expect(got).toHaveLength(total);
      expect(failures).toBeLessThanOrEqual(batches.length);
    }, 120_000);
  });
}
