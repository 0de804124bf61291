// CloudEvents over HTTP (structured, batch and binary content modes, via the `cloudevents` package) mapped to
// events: the data becomes the value, the `partitionkey` extension the key, `time` the event time, and every
// other attribute an event header named `ce-<attribute>`.
import { type CloudEventV1, HTTP, ValidationError } from 'cloudevents';
import { parseTimestamp, type SluiceEvent } from '../../core/event.js';
import { checkJsonDepth } from './json-depth.js';
import { RequestRefused } from './request-refused.js';

export interface EventDefaults {
  key: string | null;
  ts: number;
}

const isJsonType = (type: string | undefined) => !type || /^application\/(.+\+)?json\b/i.test(type);
const isTextType = (type: string | undefined) => type !== undefined && /^text\//i.test(type);

/** True when the request carries CloudEvents: a CloudEvents content type, or `ce-*` headers (binary mode). */
export function isCloudEventsRequest(headers: Record<string, string | string[] | undefined>): boolean {
  const type = String(headers['content-type'] ?? '').toLowerCase();
  return type.startsWith('application/cloudevents') || headers['ce-specversion'] !== undefined;
}

function bytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// The binary content mode carries the data as the whole body: read it by its datacontenttype.
function binaryData(body: Buffer, type: string | undefined, maxJsonDepth: number): unknown {
  if (body.byteLength === 0) return null;
  if (isJsonType(type)) {
    const text = body.toString('utf8');
    checkJsonDepth(text, maxJsonDepth, 'CloudEvent data');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RequestRefused(
        400,
        `CloudEvent data is not the JSON its datacontenttype says: ${(err as Error).message}`,
      );
    }
  }
  return isTextType(type) ? body.toString('utf8') : bytes(body);
}

// The package stamps a missing `time` with the current time; `hasOwnTime` says whether the sender gave one,
// so that the request's default time (header or query parameter) applies otherwise.
function toEvent(ce: CloudEventV1<unknown>, data: unknown, hasOwnTime: boolean, defaults: EventDefaults): SluiceEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ce)) {
    if (name === 'data' || name === 'data_base64' || value === undefined || value === null) continue;
    if (name === 'time' && !hasOwnTime) continue;
    headers[`ce-${name}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const partitionKey = (ce as { partitionkey?: unknown }).partitionkey;
  return {
    key: partitionKey === undefined || partitionKey === null ? defaults.key : String(partitionKey),
    value: data === undefined ? null : data,
    ts: (hasOwnTime ? parseTimestamp(ce.time) : undefined) ?? defaults.ts,
    headers,
  };
}

// The package turns data_base64 into a Uint32Array holding one byte per element; give back real bytes.
function structuredData(ce: CloudEventV1<unknown>): unknown {
  const data = ce.data;
  if (data instanceof Uint32Array) return Uint8Array.from(data);
  return data;
}

// The package fills a missing id with a random one, which would make a retried request two events: an event
// must name itself, as the specification requires.
function requireId(id: unknown, where: string): void {
  if (typeof id !== 'string' || id === '') {
    throw new RequestRefused(400, `not a valid CloudEvent: ${where} has no id (a non-empty string the sender chooses)`);
  }
}

/** Reads the CloudEvent(s) of a request; a malformed or invalid event refuses the whole request (400). */
export function parseCloudEvents(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  defaults: EventDefaults,
  maxJsonDepth: number,
): SluiceEvent[] {
  const isBinary = !String(headers['content-type'] ?? '')
    .toLowerCase()
    .startsWith('application/cloudevents');
  try {
    if (isBinary) {
      requireId(headers['ce-id'], 'the ce-id header');
      // Attributes come from the ce-* headers; the package is given no body so that it does not guess at it.
      const ce = HTTP.toEvent({ headers, body: undefined }) as CloudEventV1<unknown> & { validate(): boolean };
      ce.validate();
      const hasOwnTime = headers['ce-time'] !== undefined;
      return [toEvent(ce, binaryData(body, ce.datacontenttype, maxJsonDepth), hasOwnTime, defaults)];
    }
    const text = body.toString('utf8');
    checkJsonDepth(text, maxJsonDepth, 'body');
    const raw: unknown = JSON.parse(text);
    const rawList = Array.isArray(raw) ? raw : [raw];
    for (const [i, item] of rawList.entries()) {
      requireId((item as { id?: unknown } | null)?.id, Array.isArray(raw) ? `event ${i}` : 'the event');
    }
    const parsed = HTTP.toEvent({ headers, body: text });
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as Array<CloudEventV1<unknown> & { validate(): boolean }>;
    return list.map((ce, i) => {
      ce.validate();
      const hasOwnTime = (rawList[i] as { time?: unknown } | null)?.time !== undefined;
      return toEvent(ce, structuredData(ce), hasOwnTime, defaults);
    });
  } catch (err) {
    if (err instanceof RequestRefused) throw err;
    const detail =
      err instanceof ValidationError && Array.isArray(err.errors) && err.errors.length > 0
        ? err.errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ')
        : (err as Error).message;
    throw new RequestRefused(400, `not a valid CloudEvent: ${detail}`);
  }
}
