// How an event is laid out in a Redis Stream entry: one field, `e`, whose value packs the whole event. Every bulk
// string of a reply costs the reading client an allocation and the decoder a step, and Redis an element to write
// and send: one field instead of one per part (key, value, time, headers) halves what a claim decodes per event
// (measured 4.9 → 2.8 µs per entry with ioredis 6, docs/benchmarks.md), and takes no more memory: the parts'
// lengths take about what the per-field headers of a listpack entry took.
//
// The packed value, in order:
//   byte 0     flags: value kind (bits 0–1: 0 text, 1 bytes, 2 JSON), 4 a key, 8 the key as JSON text (only a key
//              that is not well-formed Unicode, whose lone surrogates UTF-8 cannot hold), 16 headers; bits 5–7
//              the layout version (1)
//   bytes 1–8  event time, ms, float64 little-endian (any number the event had, exactly)
//   [key]      LEB128 byte length, then UTF-8
//   [headers]  LEB128 byte length, then the headers as a JSON object
//   value      the rest: raw bytes, UTF-8 text, or JSON (bytes inside tagged, see value-json.ts)
//
// Entries written before this layout hold one field per part (below, `legacyEntryToEvent`); both are read, so a
// stream written by an earlier version needs no migration. Versions before this one cannot read packed entries:
// upgrade every process that delivers or queries before the ones that ingest (docs/storage.md).

import { FatalError } from '../errors.js';
import { type SluiceEvent, valueToJson } from '../event.js';
import { unreadJson, withStoredJson } from '../stored-json.js';
import type { StoredEvent } from './storage.js';

/** The name of an entry's one field (the append script writes it under this name). */
export const ENTRY_FIELD = 'e';

// The value's kind: 0 text, or one of these.
const BYTES = 1;
const JSON_VALUE = 2;
const KIND_BITS = 3;
const HAS_KEY = 4;
const KEY_JSON = 8;
const HAS_HEADERS = 16;
const VERSION_BITS = 0xe0;
const VERSION_1 = 0x20;
const HEAD = 9;

// Buffer's own UTF-8 writer: `write(string, offset, length, encoding)` sorts out its optional arguments first,
// which showed in profiles of the append.
type Utf8Writer = Buffer & { utf8Write(text: string, offset: number, length: number): number };

// Lone surrogates do not survive UTF-8; such text is stored as JSON, whose escapes keep it exact.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const varintLength = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function writeVarint(buf: Buffer, at: number, n: number): number {
  let rest = n;
  while (rest >= 0x80) {
    buf[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buf[at++] = rest;
  return at;
}

/** One event's parts, measured, between the two passes of {@link packEvents}. */
interface Parts {
  flags: number;
  key: string | undefined;
  keyBytes: number;
  headers: string | undefined;
  headerBytes: number;
  text: string | undefined;
  bytes: Uint8Array | undefined;
  valueBytes: number;
}

function partsOf(e: SluiceEvent): Parts {
  let flags = VERSION_1;
  let key: string | undefined;
  if (e.key !== null) {
    flags |= HAS_KEY;
    if (isWellFormed(e.key)) key = e.key;
    else {
      flags |= KEY_JSON;
      key = JSON.stringify(e.key);
    }
  }
  let headers: string | undefined;
  for (const _ in e.headers) {
    flags |= HAS_HEADERS;
    headers = JSON.stringify(e.headers);
    break;
  }
  let text: string | undefined;
  let bytes: Uint8Array | undefined;
  // An event read from storage whose value was never read still holds the JSON text it was stored as: exactly
  // what serialising the value would give, so it is stored again without being parsed.
  const stored = unreadJson(e);
  if (stored !== undefined) {
    flags |= JSON_VALUE;
    text = stored;
  } else {
    const v = e.value;
    if (v instanceof Uint8Array) {
      flags |= BYTES;
      bytes = v;
    } else if (typeof v === 'string' && isWellFormed(v)) {
      text = v;
    } else {
      flags |= JSON_VALUE;
      text = JSON.stringify(valueToJson(v === undefined ? null : v));
    }
  }
  return {
    flags,
    key,
    keyBytes: key === undefined ? 0 : Buffer.byteLength(key, 'utf8'),
    headers,
    headerBytes: headers === undefined ? 0 : Buffer.byteLength(headers, 'utf8'),
    text,
    bytes,
    valueBytes: bytes !== undefined ? bytes.byteLength : Buffer.byteLength(text!, 'utf8'),
  };
}

/**
 * The packed entry value of each event, in order: views of one buffer for the whole batch (one allocation for an
 * append, rather than one per event or part).
 */
export function packEvents(events: readonly SluiceEvent[]): Buffer[] {
  const parts = events.map(partsOf);
  let total = 0;
  for (const p of parts) {
    total += HEAD + p.valueBytes;
    if (p.key !== undefined) total += varintLength(p.keyBytes) + p.keyBytes;
    if (p.headers !== undefined) total += varintLength(p.headerBytes) + p.headerBytes;
  }
  const buf = Buffer.allocUnsafe(total) as Utf8Writer;
  const out: Buffer[] = new Array(parts.length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const start = at;
    buf[at] = p.flags;
    buf.writeDoubleLE(events[i].ts, at + 1);
    at += HEAD;
    if (p.key !== undefined) {
      at = writeVarint(buf, at, p.keyBytes);
      at += buf.utf8Write(p.key, at, p.keyBytes);
    }
    if (p.headers !== undefined) {
      at = writeVarint(buf, at, p.headerBytes);
      at += buf.utf8Write(p.headers, at, p.headerBytes);
    }
    if (p.bytes !== undefined) {
      buf.set(p.bytes, at);
      at += p.valueBytes;
    } else {
      at += buf.utf8Write(p.text!, at, p.valueBytes);
    }
    out[i] = buf.subarray(start, at);
  }
  return out;
}

/** The entry fields (name, value) of one event. */
export function eventToFields(e: SluiceEvent): [string, Buffer] {
  return [ENTRY_FIELD, packEvents([e])[0]];
}

// Where the next read of a packed value starts; module state rather than a returned pair, which would be an
// allocation per part read.
let cursor = 0;

function readVarint(data: Buffer): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    const byte = data[cursor++];
    if (byte === undefined) throw new Error('the entry ends inside a length');
    n += (byte & 0x7f) * scale;
    if (byte < 0x80) return n;
    scale *= 0x80;
  }
}

function readText(data: Buffer): string {
  const length = readVarint(data);
  const end = cursor + length;
  if (end > data.length) throw new Error('the entry ends inside a part');
  const text = data.toString('utf8', cursor, end);
  cursor = end;
  return text;
}

function unpack(partition: number, streamId: string, data: Buffer): StoredEvent {
  const id = `${partition}-${streamId}`;
  try {
    return unpackChecked(partition, id, data);
  } catch (err) {
    // A claim that cannot read an entry fails, and its dispatcher tries again: the message is what the operator
    // sees in the log, so it names the entry and the way past it.
    throw new FatalError(
      `the stored event ${id} cannot be read (${(err as Error).message}): it was written by a newer version of ` +
        `Sluice, or damaged; skip it with \`sluice replay <topic> --subscription <name> --from ${id}\``,
      { code: 'E_STORED_EVENT', cause: err },
    );
  }
}

function unpackChecked(partition: number, id: string, data: Buffer): StoredEvent {
  const flags = data[0];
  if (data.length < HEAD || (flags & VERSION_BITS) !== VERSION_1)
    throw new Error('a layout this version does not know');
  const ts = data.readDoubleLE(1);
  cursor = HEAD;
  let key: string | null = null;
  if (flags & HAS_KEY) {
    const text = readText(data);
    key = flags & KEY_JSON ? (JSON.parse(text) as string) : text;
  }
  const headers = flags & HAS_HEADERS ? (JSON.parse(readText(data)) as Record<string, string>) : {};
  const kind = flags & KIND_BITS;
  if (kind === BYTES) {
    // A plain Uint8Array view (no copy), the bytes type the rest of the SDK returns.
    const value = new Uint8Array(data.buffer, data.byteOffset + cursor, data.length - cursor);
    return { key, value, ts, headers, id, partition };
  }
  const text = data.toString('utf8', cursor);
  // Parsed when first read (see stored-json.ts).
  if (kind === JSON_VALUE) return withStoredJson({ key, ts, headers, id, partition }, text);
  return { key, value: text, ts, headers, id, partition };
}

const ENTRY_FIELD_CODE = ENTRY_FIELD.charCodeAt(0);

/** The event stored in an entry of `partition`, from its stream id and fields as Redis returns them (Buffers). */
export function entryToEvent(partition: number, streamId: string, fields: readonly Buffer[]): StoredEvent {
  if (fields.length === 2 && fields[0].length === 1 && fields[0][0] === ENTRY_FIELD_CODE)
    return unpack(partition, streamId, fields[1]);
  return legacyEntryToEvent(partition, streamId, fields);
}

// The layout before packed entries: one field per part, named by one letter.
//   k  key, raw UTF-8             K  key as JSON text (only for a key that is not well-formed Unicode)
//   s  value that is a string     b  value that is bytes      j  any other value, as JSON (bytes inside tagged)
//   t  event time, ms (decimal)   h  headers as a JSON object (absent when there are none)
const K = 0x6b;
const K_JSON = 0x4b;
const S = 0x73;
const B = 0x62;
const J = 0x6a;
const T = 0x74;
const H = 0x68;

function legacyEntryToEvent(partition: number, streamId: string, fields: readonly Buffer[]): StoredEvent {
  let key: string | null = null;
  let value: unknown = null;
  let ts = 0;
  let headers: Record<string, string> = {};
  let json: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const data = fields[i + 1];
    switch (fields[i][0]) {
      case K:
        key = data.toString('utf8');
        break;
      case K_JSON:
        key = JSON.parse(data.toString('utf8')) as string;
        break;
      case S:
        value = data.toString('utf8');
        break;
      case B:
        value = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        break;
      case J:
        json = data.toString('utf8');
        break;
      case T:
        ts = Number(data.toString('latin1'));
        break;
      case H:
        headers = JSON.parse(data.toString('utf8')) as Record<string, string>;
        break;
    }
  }
  const id = `${partition}-${streamId}`;
  if (json !== undefined) return withStoredJson({ key, ts, headers, id, partition }, json);
  return { key, value, ts, headers, id, partition };
}
