import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStdinSource, stdinConfig } from '../../../../connectors/stdio/source.js';
import type { SluiceEvent } from '../../../../core/event.js';
import type { Emit, ListenSource } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

function collector() {
  const batches: SluiceEvent[][] = [];
  const emit: Emit = async (events) => {
    batches.push(events);
    return { ids: events.map((_, i) => `0-${batches.length}-${i}`), duplicate: false };
  };
  return { batches, emit, events: () => batches.flat() };
}

const source = (input: Readable, config: Record<string, unknown> = {}, signal?: AbortSignal): ListenSource =>
  createStdinSource(stdinConfig.parse(config), testPluginContext(signal ? { signal } : {}), input);

describe('stdin source', () => {
  it('reads the three shapes users send and finishes when the input ends', async () => {
    const input = Readable.from([
      '"hello"\n42\n{"key":"car_id_1","value":[43.82,-79.48]}\n',
      '{"key":"patient_id","value":[125,85],"timestamp":"2021-07-01T12:00:00Z"}',
    ]);
    const { emit, events } = collector();
    const before = Date.now();
    await source(input).listen(emit);
    const got = events();
    expect(got.map((e) => [e.key, e.value])).toEqual([
      [null, 'hello'],
      [null, 42],
      ['car_id_1', [43.82, -79.48]],
      ['patient_id', [125, 85]],
    ]);
    expect(got[0].ts).toBeGreaterThanOrEqual(before);
    expect(got[3].ts).toBe(Date.UTC(2021, 6, 1, 12));
  });

  it('joins lines split across chunks, multi-byte characters included', async () => {
    const bytes = Buffer.from('{"value":"crème brûlée"}\n"zwölf"\n');
    const chunks = [bytes.subarray(0, 14), bytes.subarray(14, 15), bytes.subarray(15, 29), bytes.subarray(29)];
    const { emit, events } = collector();
    await source(Readable.from(chunks)).listen(emit);
    expect(events().map((e) => e.value)).toEqual(['crème brûlée', 'zwölf']);
  });

  it('reads plain lines as text values', async () => {
    const { emit, events } = collector();
    await source(Readable.from(['first line\r\nsecond {not json}\n\n']), { format: 'lines' }).listen(emit);
    expect(events().map((e) => e.value)).toEqual(['first line', 'second {not json}']);
  });

  it('keeps a bad line as raw text with the reason, so nothing is lost', async () => {
    const { emit, events } = collector();
    await source(Readable.from(['{"value":1}\n{broken\n'])).listen(emit);
    const [good, bad] = events();
    expect(good.value).toBe(1);
    expect(bad.value).toBe('{broken');
    expect(bad.headers['sluice-error']).toMatch(/^stdin line 2: not valid JSON/);
  });

  it('stops with the line number when told to fail on bad input', async () => {
    const { emit } = collector();
    await expect(source(Readable.from(['1\n2\nnope\n']), { onInvalid: 'fail' }).listen(emit)).rejects.toMatchObject({
      kind: 'fatal',
      message: expect.stringContaining('stdin line 3'),
    });
  });

  it('emits full batches of batchSize', async () => {
    const lines = `${Array.from({ length: 25 }, (_, i) => String(i)).join('\n')}\n`;
    const { emit, batches } = collector();
    await source(Readable.from([lines]), { batchSize: 10 }).listen(emit);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
  });

  it('emits a started batch after lingerMs while the input stays open', async () => {
    const input = new PassThrough();
    const { emit, batches } = collector();
    const listening = source(input, { lingerMs: 20 }).listen(emit);
    input.write('1\n2\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(batches).toEqual([[expect.objectContaining({ value: 1 }), expect.objectContaining({ value: 2 })]]);
    input.end('3\n');
    await listening;
    expect(batches.map((b) => b.map((e) => e.value))).toEqual([[1, 2], [3]]);
  });

  it('reads no more while a batch is being stored (backpressure)', async () => {
    const input = new PassThrough({ highWaterMark: 16 });
    let release: () => void = () => {};
    const stored: number[] = [];
    const emit: Emit = async (events) => {
      await new Promise<void>((r) => {
        release = r;
      });
      stored.push(...events.map((e) => e.value as number));
      return { ids: [], duplicate: false };
    };
    const listening = source(input, { batchSize: 1 }).listen(emit);
    input.write('1\n');
    await new Promise((r) => setTimeout(r, 20));
    const isAccepted = input.write(`${'2\n'.repeat(100)}`);
    expect(isAccepted).toBe(false); // the source is waiting on the first store, so the pipe fills
    release();
    input.end();
    // Let each store finish as it is asked for.
    while (stored.length < 101) {
      release();
      await new Promise((r) => setImmediate(r));
    }
    await listening;
    expect(stored).toHaveLength(101);
  });

  it('stores the lines it has read and returns when shutdown is signalled', async () => {
    const input = new PassThrough();
    const shutdown = new AbortController();
    const { emit, events } = collector();
    const listening = source(input, { lingerMs: 60_000 }, shutdown.signal).listen(emit);
    input.write('1\n2\nunfinish');
    await new Promise((r) => setTimeout(r, 20));
    shutdown.abort();
    await listening;
    expect(events().map((e) => e.value)).toEqual([1, 2]);
  });

  it('returns when closed', async () => {
    const input = new PassThrough();
    const { emit } = collector();
    const instance = source(input);
    const listening = instance.listen(emit);
    await instance.close?.();
    await expect(listening).resolves.toBeUndefined();
  });
});
