// MessagePack can carry more than an event value may hold (msgpackr decodes its extensions into Sets,
// RegExps, Errors, typed arrays, BigInts). This walk keeps decoded values plain: timestamps become ISO-8601
// text, integers beyond 2^53 become decimal text, and anything else that JSON cannot hold is a record error.
import { C1 } from 'msgpackr';
import { recordError } from '../../core/plugin.js';

function unsupported(what: string): never {
  throw recordError(`msgpack decode: value holds ${what}, which an event cannot carry`, undefined, 'E_DECODE');
}

/** `value` made plain; objects and arrays are changed in place (they are freshly decoded, owned by us). */
export function plainMsgpackValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'object':
      break;
    default:
      return unsupported(`a ${typeof value}`);
  }
  if (value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object') value[i] = plainMsgpackValue(item);
      else if (typeof item === 'bigint') value[i] = plainMsgpackValue(item);
    }
    return value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) unsupported('an invalid timestamp');
    return value.toISOString();
  }
  if (value === C1) return unsupported('the reserved byte 0xc1');
  if (Object.getPrototypeOf(value) !== Object.prototype) {
    return unsupported(`an object of type ${value.constructor?.name ?? 'unknown'}`);
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if ((item !== null && typeof item === 'object') || typeof item === 'bigint') record[key] = plainMsgpackValue(item);
  }
  return value;
}
