// Freezes test input so that a processor which writes to it fails loudly. Typed arrays cannot be frozen,
// so their bytes are copied instead and compared afterwards with `assertBytesUnchanged`.

export interface FrozenInput {
  /** Throws when any byte array inside the input changed since it was frozen. */
  assertBytesUnchanged(): void;
}

export function deepFreeze(value: unknown): FrozenInput {
  const bytes: Array<[Uint8Array, Uint8Array]> = [];
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const view = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      bytes.push([view, view.slice()]);
      return;
    }
    for (const child of Object.values(v)) visit(child);
    Object.freeze(v);
  };
  visit(value);
  return {
    assertBytesUnchanged() {
      for (const [view, copy] of bytes) {
        if (!Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(copy)) {
          throw new Error('the processor changed the bytes of an input event value');
        }
      }
    },
  };
}
