// Deflate (gzip, zlib or raw) of many small values through one zlib state. `gzipSync` and its kin build a
// stream object and a fresh deflate state (≈ 300 KB, zeroed) for every call: for a 200 B value that is most of
// the time, and the garbage it leaves is what stretches an embedded pipeline's p99. Node offers no public
// synchronous call that keeps a state, so this drives the zlib handle of one stream the way `gzipSync` does
// itself (reset, then one finishing write). Those are Node's internals: the handle is checked against
// `gzipSync`'s own output when made, and where it does not match, each call falls back to the plain function.
import type { Transform } from 'node:stream';
import {
  createDeflate,
  createDeflateRaw,
  createGzip,
  deflateRawSync,
  deflateSync,
  gzipSync,
  type Zlib,
  type ZlibOptions,
} from 'node:zlib';

export type DeflateFormat = 'gzip' | 'zlib' | 'raw';

const FORMATS = {
  gzip: { create: createGzip, once: gzipSync },
  zlib: { create: createDeflate, once: deflateSync },
  raw: { create: createDeflateRaw, once: deflateRawSync },
} as const;

const Z_FINISH = 4;
const OUT_CHUNK = 64 * 1024;
const SELF_TEST = Buffer.from('{"device":"dev-0001","seq":1,"note":"north south north south engine idle"}');

interface ZlibHandle {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
}

/** Deflates values one at a time (synchronously) through one zlib state, made on first use. */
export class ReusedDeflater {
  private readonly once: (bytes: Uint8Array, options: ZlibOptions) => Buffer;
  private stream?: Transform & Zlib;
  private handle?: ZlibHandle;
  private state?: Uint32Array;
  private out?: Buffer;

  constructor(
    private readonly format: DeflateFormat,
    private readonly level: number,
  ) {
    this.once = FORMATS[format].once;
  }

  compress(bytes: Uint8Array): Buffer {
    if (!this.stream) this.start();
    return this.deflate(bytes) ?? this.once(bytes, { level: this.level });
  }

  close(): void {
    this.stream?.close();
  }

  private start(): void {
    const stream = FORMATS[this.format].create({ level: this.level });
    this.stream = stream;
    // A zlib error destroys the stream at once and emits 'error' later: that event must not go unheard, and
    // the destroyed flag is what tells a call to give up the handle.
    stream.on('error', () => {});
    const internals = stream as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: Uint32Array };
    const handle = internals._handle;
    if (typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function') return;
    this.handle = handle as ZlibHandle;
    this.state = internals._writeState;
    this.out = Buffer.allocUnsafe(OUT_CHUNK);
    try {
      if (!this.deflate(SELF_TEST)?.equals(this.once(SELF_TEST, { level: this.level }))) this.handle = undefined;
    } catch {
      // A handle that does not behave like Node's own: the plain function does the work.
      this.handle = undefined;
    }
  }

  /** The deflated bytes, or undefined when the handle cannot be used (from then on). */
  private deflate(bytes: Uint8Array): Buffer | undefined {
    const { handle, state, out } = this;
    if (!handle || !state || !out) return undefined;
    handle.reset();
    let inOffset = 0;
    let inLength = bytes.byteLength;
    const parts: Buffer[] = [];
    for (;;) {
      handle.writeSync(Z_FINISH, bytes, inOffset, inLength, out, 0, OUT_CHUNK);
      if (this.stream?.destroyed) {
        this.handle = undefined;
        return undefined;
      }
      // state[0] is the output space left, state[1] the input not yet taken.
      parts.push(Buffer.from(out.subarray(0, OUT_CHUNK - state[0])));
      if (state[0] !== 0) break;
      inOffset += inLength - state[1];
      inLength = state[1];
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
