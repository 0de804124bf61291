// Comparable form of event values: a Buffer and a Uint8Array with the same bytes are the same value, and a
// record decoded into a class instance equals the plain object with the same fields.

export function plainValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: plainValue(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
