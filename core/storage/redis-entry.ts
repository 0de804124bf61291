// How an event is laid out as the fields of a Redis Stream entry. Field names are one letter and the same set
// for events of the same shape, so Redis stores them once per stream node rather than once per entry; bytes and
// text are stored raw, JSON only where the value is structured; ts is an integer Redis packs into 8 bytes.
// Measured at about 0.88× the memory of the same event stored as one JSON field (docs/storage.md).
//
//   k  key, raw UTF-8             K  key as JSON text (only for a key that is not well-formed Unicode)
//   s  value that is a string     b  value that is bytes      j  any other value, as JSON (bytes inside tagged)
//   t  event time, ms              h  headers as a JSON object (absent when there are none)

import { type SluiceEvent, valueToJson } from '../event.js';
import { withStoredJson } from '../stored-json.js';
import type { StoredEvent } from './storage.js';

// Lone surrogates do not survive UTF-8; such text is stored as JSON, whose escapes keep it exact.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The entry fields (name, value, name, value …) for one event; bytes as a Buffer view, not a copy. */
export function eventToFields(e: SluiceEvent): Array<string | Buffer> {
  const fields: Array<string | Buffer> = [];
  if (e.key !== null) {
    if (isWellFormed(e.key)) fields.push('k', e.key);
    else fields.push('K', JSON.stringify(e.key));
  }
  const v = e.value;
  if (v instanceof Uint8Array)
    fields.push('b', Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  else if (typeof v === 'string' && isWellFormed(v)) fields.push('s', v);
  else fields.push('j', JSON.stringify(valueToJson(v === undefined ? null : v)));
  fields.push('t', String(e.ts));
  for (const _ in e.headers) {
    fields.push('h', JSON.stringify(e.headers));
    break;
  }
  return fields;
}

const K = 0x6b;
const K_JSON = 0x4b;
const S = 0x73;
const B = 0x62;
const J = 0x6a;
const T = 0x74;
const H = 0x68;

/** The event stored in an entry of `partition`, from its stream id and fields as Redis returns them (Buffers). */
export function entryToEvent(partition: number, streamId: string, fields: readonly Buffer[]): StoredEvent {
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
        // A plain Uint8Array view (no copy), the bytes type the rest of the SDK returns.
        value = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        break;
      case J:
        // Parsed when first read (see stored-json.ts).
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
