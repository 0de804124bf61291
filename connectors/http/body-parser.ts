// Turns a request body into events, by the configured format or, in `auto`, by its content type: a JSON
// event or array of events, NDJSON, CloudEvents, or raw bytes. A request is all or nothing: one bad line
// refuses the whole request, so that nothing is half stored.
import { EventShapeError, normalizeEvent, type SluiceEvent } from '../../core/event.js';
import { type EventDefaults, isCloudEventsRequest, parseCloudEvents } from './cloudevents.js';
import { checkJsonDepth } from './json-depth.js';
import { RequestRefused } from './request-refused.js';

export type BodyFormat = 'auto' | 'json' | 'ndjson' | 'cloudevents' | 'raw';

const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/jsonlines',
]);

export type { EventDefaults };

/** The format a request is read as. */
export function detectFormat(
  format: BodyFormat,
  headers: Record<string, string | string[] | undefined>,
): Exclude<BodyFormat, 'auto'> {
  if (format !== 'auto') return format;
  if (isCloudEventsRequest(headers)) return 'cloudevents';
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (NDJSON_TYPES.has(type)) return 'ndjson';
  if (type === 'application/json' || type.endsWith('+json')) return 'json';
  return 'raw';
}

function fromJson(value: unknown, defaults: EventDefaults, where: string): SluiceEvent {
  try {
    const e = normalizeEvent(value, defaults.ts);
    return e.key === null && defaults.key !== null ? { ...e, key: defaults.key } : e;
  } catch (err) {
    if (err instanceof EventShapeError) throw new RequestRefused(400, `${where}: ${err.message}`);
    throw err;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RequestRefused(400, `${where} is not JSON: ${(err as Error).message}`);
  }
}

export interface ParseInput {
  format: BodyFormat;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Key and time for events that do not carry their own (from headers or query parameters). */
  defaults: EventDefaults;
  /** Deepest nesting of objects and arrays accepted in JSON text; deeper is refused with 400. */
  maxJsonDepth: number;
}

export function parseBody({ format, headers, body, defaults, maxJsonDepth }: ParseInput): SluiceEvent[] {
  switch (detectFormat(format, headers)) {
    case 'json': {
      const text = body.toString('utf8');
      checkJsonDepth(text, maxJsonDepth, 'body');
      const value = parseJson(text, 'body');
      if (!Array.isArray(value)) return [fromJson(value, defaults, 'body')];
      return value.map((item, i) => fromJson(item, defaults, `element ${i}`));
    }
    case 'ndjson': {
      const events: SluiceEvent[] = [];
      const lines = body.toString('utf8').split('\n');
      lines.forEach((line, i) => {
        const text = line.trim();
        if (text === '') return;
        checkJsonDepth(text, maxJsonDepth, `line ${i + 1}`);
        events.push(fromJson(parseJson(text, `line ${i + 1}`), defaults, `line ${i + 1}`));
      });
      return events;
    }
    case 'cloudevents':
      return parseCloudEvents(headers, body, defaults, maxJsonDepth);
    case 'raw': {
      const contentType = headers['content-type'];
      return [
        {
          key: defaults.key,
          value: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
          ts: defaults.ts,
          headers: typeof contentType === 'string' ? { 'content-type': contentType } : {},
        },
      ];
    }
  }
}
