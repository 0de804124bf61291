import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStdoutSink, stdoutConfig } from '../../../../connectors/stdio/sink.js';
import type { SluiceEvent } from '../../../../core/event.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

const sink = (output: Writable, config: Record<string, unknown> = {}) =>
  createStdoutSink(stdoutConfig.parse(config), testPluginContext(), output);

const captured = () => {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { out, text: () => chunks.join('') };
};

const event = (value: unknown, id: string, key: string | null = 'k'): SluiceEvent => ({
  key,
  value,
  ts: Date.UTC(2021, 6, 1, 12),
  headers: {},
  id,
});

describe('stdout sink', () => {
  it('writes one NDJSON event per line with ts in milliseconds', async () => {
    const { out, text } = captured();
    await sink(out).write([event([125, 85], '0-1-0', 'patient_id'), event('hello', '0-2-0', null)]);
    expect(text()).toBe(
      '{"key":"patient_id","value":[125,85],"ts":1625140800000,"id":"0-1-0"}\n' +
        '{"key":null,"value":"hello","ts":1625140800000,"id":"0-2-0"}\n',
    );
  });

  it('writes ISO timestamps, values only, or plain text lines when asked', async () => {
    const iso = captured();
    await sink(iso.out, { ts: 'iso' }).write([event(1, '0-1-0')]);
    expect(iso.text()).toBe('{"key":"k","value":1,"ts":"2021-07-01T12:00:00.000Z","id":"0-1-0"}\n');
    const values = captured();
    await sink(values.out, { format: 'value' }).write([event('a', '1'), event({ b: 2 }, '2')]);
    expect(values.text()).toBe('"a"\n{"b":2}\n');
    const lines = captured();
    await sink(lines.out, { format: 'lines' }).write([event('a', '1'), event({ b: 2 }, '2')]);
    expect(lines.text()).toBe('a\n{"b":2}\n');
  });

  it('rejects a multi-line text in the lines format and writes the rest', async () => {
    const { out, text } = captured();
    const result = await sink(out, { format: 'lines' }).write([event('a', '1'), event('b\nc', '2')]);
    expect(text()).toBe('a\n');
    expect(result?.rejected).toEqual([{ index: 1, error: expect.objectContaining({ code: 'E_LINE_BREAK' }) }]);
  });

  it('acknowledges a batch only once the output has taken it (backpressure)', async () => {
    const written: string[] = [];
    let release: () => void = () => {};
    const slow = new Writable({
      highWaterMark: 8,
      write(chunk, _enc, done) {
        written.push(String(chunk));
        release = done;
      },
    });
    let isAcknowledged = false;
    const writing = sink(slow, { format: 'value' })
      .write([event('x'.repeat(100), '1')])
      .then(() => {
        isAcknowledged = true;
      });
    await new Promise((r) => setTimeout(r, 20));
    expect(written).toHaveLength(1);
    expect(isAcknowledged).toBe(false);
    release();
    await writing;
    expect(isAcknowledged).toBe(true);
  });

  it('stops the pipeline with a clear message when the reader of stdout has gone', async () => {
    const closed = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const instance = sink(closed);
    await expect(instance.write([event(1, '1')])).rejects.toMatchObject({ kind: 'fatal', code: 'E_STDOUT_CLOSED' });
    await expect(instance.write([event(1, '2')])).rejects.toMatchObject({ kind: 'fatal', code: 'E_STDOUT_CLOSED' });
    await instance.close?.();
  });
});
