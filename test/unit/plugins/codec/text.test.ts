import { describe, expect, it } from 'vitest';
import base64 from '../../../../plugins/codec/base64.js';
import lines from '../../../../plugins/codec/lines.js';
import text from '../../../../plugins/codec/text.js';
import { event, runProcessor } from '../run-processor.js';

describe('text', () => {
  it('decodes UTF-8 bytes into text and refuses invalid UTF-8 instead of replacing it', async () => {
    const { events, rejected } = await runProcessor(text, {}, [
      event(Buffer.from('héllo')),
      event(Buffer.from([0x68, 0xc3])),
      // A replacement character the sender wrote is valid text, and a byte-order mark is text's own to keep.
      event(Buffer.from('\uFEFFbad \uFFFD sign')),
    ]);
    expect(events.map((e) => e.value)).toEqual(['héllo', '\uFEFFbad \uFFFD sign']);
    expect(rejected[0].error.message).toBe(
      'text decode: value is not valid UTF-8 text; set encoding if the data uses another one',
    );
  });

  it('encodes text as bytes in the chosen encoding and refuses characters it cannot hold', async () => {
    const { events, rejected } = await runProcessor(text, { action: 'encode', encoding: 'latin1' }, [
      event('é'),
      event('€'),
    ]);
    expect(events[0].value).toEqual(Buffer.from([0xe9]));
    expect(rejected[0].error.message).toBe('text encode: text holds characters outside Latin-1; use encoding utf8');
  });
});

describe('lines', () => {
  it('splits text into one event per line ("\\n" or "\\r\\n"), keeping empty lines unless asked', async () => {
    const input = [event('a\r\n\nb\n', { key: 'k' })];
    expect((await runProcessor(lines, {}, input)).events.map((e) => e.value)).toEqual(['a', '', 'b']);
    expect((await runProcessor(lines, { skipEmpty: true }, input)).events.map((e) => e.value)).toEqual(['a', 'b']);
  });

  it('joins a batch into one payload and refuses a value with a line break in it', async () => {
    const { events, rejected } = await runProcessor(lines, { action: 'encode' }, [event('a'), event('b\nc'), event(3)]);
    expect(Buffer.from(events[0].value as Uint8Array).toString()).toBe('a\n3\n');
    expect(events[0].headers).toEqual({ 'sluice-batch-count': '2' });
    expect(rejected[0].error.message).toBe('lines encode: value holds a line break, which would split it in two');
  });
});

describe('base64', () => {
  it('decodes base64 (with MIME line breaks) and the URL-safe alphabet into bytes', async () => {
    const { events } = await runProcessor(base64, {}, [event('aGVs\r\nbG8='), event(Buffer.from('aGVsbG8'))]);
    expect(events.map((e) => Buffer.from(e.value as Uint8Array).toString())).toEqual(['hello', 'hello']);
    const url = await runProcessor(base64, { urlSafe: true }, [event('-_8')]);
    expect(url.events[0].value).toEqual(Buffer.from([0xfb, 0xff]));
  });

  it('refuses text that is not base64 instead of skipping the characters it does not know', async () => {
    const { rejected } = await runProcessor(base64, {}, [event('aGVs!bG8='), event('aGVsb'), event('-_8')]);
    expect(rejected).toHaveLength(3);
    expect(rejected[0].error.message).toMatch(/^base64 decode: value is not base64/);
  });

  it('encodes bytes, text (as UTF-8) and other values (as JSON text)', async () => {
    const { events } = await runProcessor(base64, { action: 'encode' }, [
      event(new Uint8Array([0xfb, 0xff])),
      event('hi'),
      event({ a: 1 }),
    ]);
    expect(events.map((e) => e.value)).toEqual(['+/8=', 'aGk=', 'eyJhIjoxfQ==']);
  });
});
