// gzip, zlib and raw deflate of many small values through one zlib state. `gzipSync`, `gunzipSync` and their
// kin build a stream object and a fresh zlib state (≈ 300 KB to deflate, zeroed) for every call: for a 200 B value
// that is most of the time, and the garbage it leaves is what stretches an embedded pipeline's p99. Node offers no
// public synchronous call that keeps a state, so this drives the zlib handle of one stream the way `gzipSync` does
// itself (reset, then finishing writes). Those are Node's internals: the handle is checked against the plain
// function's output when made, and where it does not match, every call goes to the plain function. A value the
// handle fails on (bad data) is handed to the plain function too, so that its error is exactly Node's own.
import type { Transform } from 'node:stream';
import {
  createDeflate,
  createDeflateRaw,
  createGunzip,
  createGzip,
  createInflate,
  createInflateRaw,
  deflateRawSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateRawSync,
  inflateSync,
  type Zlib,
  type ZlibOptions,
} from 'node:zlib';
import { OutputLimitExceeded } from './compression-processor.js';

export type ZlibFormat = 'gzip' | 'zlib' | 'raw';
export type ZlibAction = 'compress' | 'decompress';

type Once = (bytes: Uint8Array, options: ZlibOptions) => Buffer;
const FORMATS: Record<ZlibFormat, Record<ZlibAction, { create: (o: ZlibOptions) => Transform & Zlib; once: Once }>> = {
  gzip: { compress: { create: createGzip, once: gzipSync }, decompress: { create: createGunzip, once: gunzipSync } },
  zlib: {
    compress: { create: createDeflate, once: deflateSync },
    decompress: { create: createInflate, once: inflateSync },
  },
  raw: {
    compress: { create: createDeflateRaw, once: deflateRawSync },
    decompress: { create: createInflateRaw, once: inflateRawSync },
  },
};

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

/** Compresses or decompresses values one at a time (synchronously) through one zlib state, made on first use. */
export class ReusedZlib {
  private readonly once: Once;
  private stream?: Transform & Zlib;
  private handle?: ZlibHandle;
  private state?: Uint32Array;
  private readonly out = Buffer.allocUnsafe(OUT_CHUNK);
  private isPlain = false;

  constructor(
    private readonly format: ZlibFormat,
    private readonly action: ZlibAction,
    private readonly level?: number,
  ) {
    this.once = FORMATS[format][action].once;
  }

  /** The value compressed or decompressed; throws OutputLimitExceeded past `maxOutputBytes`. */
  run(bytes: Uint8Array, maxOutputBytes = Number.POSITIVE_INFINITY): Buffer {
    if (!this.handle && !this.isPlain) this.start();
    return this.through(bytes, maxOutputBytes) ?? this.plain(bytes, maxOutputBytes);
  }

  close(): void {
    this.stream?.close();
  }

  private plain(bytes: Uint8Array, maxOutputBytes: number): Buffer {
    return Number.isFinite(maxOutputBytes)
      ? this.once(bytes, { level: this.level, maxOutputLength: maxOutputBytes })
      : this.once(bytes, { level: this.level });
  }

  private start(): void {
    this.stream?.close();
    const stream = FORMATS[this.format][this.action].create({ level: this.level });
    this.stream = stream;
    // A zlib error destroys the stream at once and emits 'error' later: that event must not go unheard, and
    // the destroyed flag is what tells a call to give up the handle.
    stream.on('error', () => {});
    const internals = stream as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: Uint32Array };
    const handle = internals._handle;
    this.isPlain = typeof handle?.writeSync !== 'function' || typeof handle.reset !== 'function';
    if (this.isPlain) return;
    this.handle = handle as ZlibHandle;
    this.state = internals._writeState;
    try {
      const input =
        this.action === 'compress' ? SELF_TEST : FORMATS[this.format].compress.once(SELF_TEST, { level: 1 });
      const expected = this.action === 'compress' ? this.plain(SELF_TEST, Number.POSITIVE_INFINITY) : SELF_TEST;
      this.isPlain = !this.through(input, Number.POSITIVE_INFINITY)?.equals(expected);
    } catch {
      // A handle that does not behave like Node's own.
      this.isPlain = true;
    }
    if (this.isPlain) this.handle = undefined;
  }

  /** The output, or undefined when the handle failed on this value (it is made anew for the next one). */
  private through(bytes: Uint8Array, maxOutputBytes: number): Buffer | undefined {
    const { handle, state, out } = this;
    if (!handle || !state) return undefined;
    handle.reset();
    let inOffset = 0;
    let inLength = bytes.byteLength;
    let length = 0;
    const parts: Buffer[] = [];
    for (;;) {
      handle.writeSync(Z_FINISH, bytes, inOffset, inLength, out, 0, OUT_CHUNK);
      if (this.stream?.destroyed) {
        this.handle = undefined;
        return undefined;
      }
      // state[0] is the output space left, state[1] the input not yet taken.
      const produced = OUT_CHUNK - state[0];
      length += produced;
      if (length > maxOutputBytes) throw new OutputLimitExceeded();
      parts.push(Buffer.from(out.subarray(0, produced)));
      if (state[0] !== 0) break;
      inOffset += inLength - state[1];
      inLength = state[1];
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  }
}
