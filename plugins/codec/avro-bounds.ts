// A check that an Avro datum's lengths fit in its bytes, run before avsc decodes it. avsc trusts an array or
// map block count: 7 bytes claiming 300 million longs make it allocate and loop until the heap is gone. This
// walk reads the datum by the writer schema without building values, and refuses a count that needs more
// bytes than remain (every item of at least one byte) or, for items of zero bytes (null, empty records), more
// than MAX_EMPTY_ITEMS in one datum. Data that ends early is refused here too: avsc would read on past the
// end, taking whatever it finds there for counts.
import type avro from 'avsc';

const MAX_EMPTY_ITEMS = 1_000_000;

interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
  emptyItems: number;
}

// avsc's own words for data that ends early, kept so that the message does not depend on who noticed.
const truncated = () => new Error('truncated buffer');

type AnyType = avro.Type & {
  typeName: string;
  fields?: Array<{ type: AnyType }>;
  types?: AnyType[];
  itemsType?: AnyType;
  valuesType?: AnyType;
  size?: number;
  underlyingType?: AnyType;
};

function readLong(c: Cursor): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= c.buf.length) throw truncated();
    const b = c.buf[c.pos++];
    n += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  throw new Error('a number is longer than 10 bytes');
}

function advance(c: Cursor, length: number, what: string): void {
  if (length < 0) throw new Error(`${what} has a negative length (${length})`);
  if (length > c.buf.length - c.pos) throw truncated();
  c.pos += length;
}

/** The fewest bytes a value of `type` takes; memoised per type, recursion through unions stops at 1. */
function minSize(type: AnyType, memo: Map<AnyType, number>): number {
  const known = memo.get(type);
  if (known !== undefined) return known;
  memo.set(type, 1);
  let size: number;
  switch (type.typeName) {
    case 'null':
      size = 0;
      break;
    case 'float':
      size = 4;
      break;
    case 'double':
      size = 8;
      break;
    case 'fixed':
      size = type.size ?? 0;
      break;
    case 'record':
    case 'error':
      size = (type.fields ?? []).reduce((sum, f) => sum + minSize(f.type, memo), 0);
      break;
    default:
      size = type.underlyingType ? minSize(type.underlyingType, memo) : 1;
  }
  memo.set(type, size);
  return size;
}

function checkBlocks(c: Cursor, item: AnyType, memo: Map<AnyType, number>, isMap: boolean): void {
  const itemSize = (isMap ? 1 : 0) + minSize(item, memo);
  for (let count = readLong(c); count !== 0; count = readLong(c)) {
    if (count < 0) {
      count = -count;
      readLong(c);
    }
    if (itemSize > 0 && count * itemSize > c.buf.length - c.pos) {
      throw new Error(`a block claims ${count} items, more than the ${c.buf.length - c.pos} bytes left`);
    }
    if (itemSize === 0) {
      c.emptyItems += count;
      if (c.emptyItems > MAX_EMPTY_ITEMS) {
        throw new Error(`more than ${MAX_EMPTY_ITEMS} items of an empty type`);
      }
    }
    for (let i = 0; i < count; i++) {
      if (isMap) advance(c, readLong(c), 'a map key');
      walk(c, item, memo);
    }
  }
}

function walk(c: Cursor, type: AnyType, memo: Map<AnyType, number>): void {
  switch (type.typeName) {
    case 'null':
      return;
    case 'boolean':
      advance(c, 1, 'a boolean');
      return;
    case 'float':
      advance(c, 4, 'a float');
      return;
    case 'double':
      advance(c, 8, 'a double');
      return;
    case 'fixed':
      advance(c, type.size ?? 0, 'a fixed');
      return;
    case 'bytes':
      advance(c, readLong(c), 'bytes');
      return;
    case 'string':
      advance(c, readLong(c), 'a string');
      return;
    case 'record':
    case 'error':
      for (const field of type.fields ?? []) walk(c, field.type, memo);
      return;
    case 'array':
      checkBlocks(c, type.itemsType as AnyType, memo, false);
      return;
    case 'map':
      checkBlocks(c, type.valuesType as AnyType, memo, true);
      return;
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = type.types ?? [];
      const index = readLong(c);
      if (index < 0 || index >= branches.length) {
        throw new Error(`union branch ${index} does not exist (the union has ${branches.length})`);
      }
      walk(c, branches[index], memo);
      return;
    }
    default:
      // int, long (exact or built-in), enum: one varint. Logical types read as their underlying type.
      if (type.underlyingType) {
        walk(c, type.underlyingType, memo);
        return;
      }
      readLong(c);
  }
}

/**
 * Throws an Error saying what does not fit when `buf` ends early or a count in it cannot be real for `writer`;
 * returns quietly otherwise (avsc then decodes, and reports any other fault, such as trailing data).
 */
export function checkAvroBounds(writer: avro.Type, buf: Uint8Array): void {
  walk({ buf, pos: 0, emptyItems: 0 }, writer as AnyType, new Map());
}
