// The JSON form of an event value. JSON has no bytes, so bytes travel tagged; storage, transport and every
// serialiser write values in this form, and read them back exactly.

/** A value an event can carry: any JSON value, or raw bytes. */
export type EventValue = unknown;

const BYTES_TAG = '$bytes';

// JSON has no bytes: they travel as { "$bytes": base64 }. An object that itself has the single key "$bytes"
// is escaped as { "$bytes": { "$literal": … } } so that the round trip is exact for every value.
function encodeValue(value: EventValue): unknown {
  if (!needsEncoding(value)) return value;
  if (value instanceof Uint8Array) {
    return { [BYTES_TAG]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(encodeValue);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1 && entries[0][0] === BYTES_TAG)
    return { [BYTES_TAG]: { $literal: encodeValue(entries[0][1]) } };
  return Object.fromEntries(entries.map(([k, v]) => [k, encodeValue(v as EventValue)]));
}

const needsEncoding = (value: unknown): boolean => typeof value === 'object' && value !== null && holdsBytes(value);

// Walks without allocating: it runs on every value written as JSON, and most have nothing to encode. Members
// that are not objects are passed over in the loop rather than in a call each (a third of the walk's time on
// a flat object).
function holdsBytes(value: object): boolean {
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && holdsBytes(item)) return true;
    }
    return false;
  }
  let count = 0;
  let onlyKey = '';
  for (const key in value) {
    count++;
    onlyKey = key;
    const member = (value as Record<string, unknown>)[key];
    if (typeof member === 'object' && member !== null && holdsBytes(member)) return true;
  }
  return count === 1 && onlyKey === BYTES_TAG;
}

function decodeValue(value: unknown): EventValue {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === BYTES_TAG) {
      const inner = entries[0][1];
      if (typeof inner === 'string') return new Uint8Array(Buffer.from(inner, 'base64'));
      if (inner !== null && typeof inner === 'object' && '$literal' in inner) {
        return { [BYTES_TAG]: decodeValue((inner as { $literal: unknown }).$literal) };
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, decodeValue(v)]));
  }
  return value;
}

/** JSON-safe form of a value (bytes tagged), for storage and transport. */
export const valueToJson = encodeValue;
/** Inverse of {@link valueToJson}. */
export const valueFromJson = decodeValue;

/**
 * The value held by JSON text, tagged bytes restored: the inverse of `JSON.stringify(valueToJson(v))`. The tag is
 * recognised as that writes it, `"$bytes"` without escapes; a key spelled `"\u0024bytes"` stays a plain key.
 * Throws the SyntaxError of `JSON.parse` for text that is not JSON.
 */
export function valueFromJsonText(text: string): EventValue {
  const parsed: unknown = JSON.parse(text);
  return mayHoldTag(text) ? decodeValue(parsed) : parsed;
}

// Only text that spells the tag can hold tagged bytes; most JSON does not, and is spared the walk that rebuilds
// every object. Looking for a "$" first is several times cheaper than looking for the tag, and most JSON has none.
export const mayHoldTag = (text: string): boolean => text.indexOf('$') !== -1 && text.includes('"$bytes"');
