// Avro longs without loss. avsc's built-in long rounds through doubles: beyond 2^52 it writes wrong numbers
// without a word (-(2^52 + 1) comes back as 2^52). This long type goes through BigInt: values within ±(2^53 - 1)
// are numbers, larger ones decimal text, and encoding takes either (or a BigInt).
import avro from 'avsc';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

/** Pass as `registry: { long: exactLongType() }` to `Type.forSchema`. */
export function exactLongType(): avro.Type {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => {
      const n = buf.readBigInt64LE();
      return n >= -SAFE && n <= SAFE ? Number(n) : n.toString();
    },
    toBuffer: (value: unknown) => {
      // A fresh buffer: avsc inverts it in place while packing.
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(toBigInt(value)!);
      return buf;
    },
    fromJSON: (value: unknown) => value,
    toJSON: (value: unknown) => value,
    isValid: (value: unknown) => {
      const n = toBigInt(value);
      return n !== undefined && n >= MIN && n <= MAX;
    },
    compare: (a: unknown, b: unknown) => {
      const x = toBigInt(a)!;
      const y = toBigInt(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    },
  });
}
