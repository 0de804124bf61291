// The body of a delivery: one event's value as it is, or several events as a JSON array or NDJSON.
import {
  type SluiceEvent,
  serializeEvent,
  storedValueJson,
  toBytes,
  valueBytes,
  valueJsonText,
} from '../../core/event.js';

export type BodyContent = 'value' | 'event';
export type BatchFormat = 'json' | 'ndjson';

export interface RequestBody {
  bytes: Uint8Array;
  contentType: string;
}

/** One event: bytes as they are, text as UTF-8, anything else as JSON; or the whole event as JSON. */
export function eventBody(event: SluiceEvent, content: BodyContent): RequestBody {
  if (content === 'event') return { bytes: Buffer.from(serializeEvent(event)), contentType: 'application/json' };
  // A structured value still in its stored JSON text: that JSON, unparsed.
  if (storedValueJson(event) !== undefined) return { bytes: valueBytes(event), contentType: 'application/json' };
  const v = event.value;
  if (v instanceof Uint8Array) {
    return { bytes: v, contentType: event.headers['content-type'] ?? 'application/octet-stream' };
  }
  if (typeof v === 'string') return { bytes: toBytes(v), contentType: 'text/plain; charset=utf-8' };
  return { bytes: toBytes(v), contentType: 'application/json' };
}

// In a batch every element is JSON; bytes travel as { "$bytes": base64 } (the event module's JSON form).
function element(event: SluiceEvent, content: BodyContent): string {
  return content === 'event' ? serializeEvent(event) : valueJsonText(event);
}

/** Several events in one body. */
export function batchBody(events: readonly SluiceEvent[], content: BodyContent, format: BatchFormat): RequestBody {
  const parts = events.map((e) => element(e, content));
  if (format === 'ndjson') {
    return { bytes: Buffer.from(`${parts.join('\n')}\n`), contentType: 'application/x-ndjson' };
  }
  return { bytes: Buffer.from(`[${parts.join(',')}]`), contentType: 'application/json' };
}
