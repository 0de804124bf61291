// What every compression processor shares: the config keys (action, per, maxOutputBytes), per-event and
// per-batch operation, the decompression size limit, and turning library failures into record errors. Each
// algorithm's file declares the plugin and hands its codec to `compressionProcessor`.
import { parseEvent, type SluiceEvent, serializeEvent, toText, valueBytes, withValue } from '../../core/event.js';
import { eachRecordSync, type ProcessorInstance, type ProcessResult, recordError, z } from '../../core/plugin.js';
import { BATCH_COUNT_HEADER, batchEvent } from '../codec/batch-event.js';

/** Thrown by a codec when the output would pass `maxOutputBytes`. */
export class OutputLimitExceeded extends Error {}

export interface CompressionCodec {
  /** The format's name in messages: "gzip data". */
  readonly format: string;
  /** True when the codec works off the main thread and returns promises; the batch then runs concurrently. */
  readonly async?: boolean;
  compress(bytes: Buffer): Uint8Array | Promise<Uint8Array>;
  /** Must not produce (nor allocate) much more than `maxOutputBytes`: throw OutputLimitExceeded instead. */
  decompress(bytes: Buffer, maxOutputBytes: number): Uint8Array | Promise<Uint8Array>;
  /** Frees what the codec keeps between values. */
  close?(): void;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const compressionFields = {
  action: z
    .enum(['compress', 'decompress'])
    .default('compress')
    .describe('compress: values become compressed bytes; decompress: compressed bytes become the original bytes.'),
  per: z
    .enum(['event', 'batch'])
    .default('event')
    .describe(
      'event: each value on its own (text and JSON values are compressed as their UTF-8 text; decompress gives ' +
        'bytes). batch: the whole batch becomes one event (key and time of the first, header sluice-batch-count) ' +
        'whose value is the compressed batch, and decompress gives back exactly the same events.',
    ),
  maxOutputBytes: z
    .number()
    .int()
    .positive()
    .max(2 ** 31)
    .default(DEFAULT_MAX_OUTPUT_BYTES)
    .describe(
      'decompress: largest output accepted for one value (default 64 MiB); a value that would decompress to more ' +
        'is a record error, so a compression bomb cannot exhaust memory.',
    ),
};

export interface CompressionConfig {
  action: 'compress' | 'decompress';
  per: 'event' | 'batch';
  maxOutputBytes: number;
}

type Maybe<T> = T | Promise<T>;
const then = <T, U>(value: Maybe<T>, f: (v: T) => U): Maybe<U> => (value instanceof Promise ? value.then(f) : f(value));
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export function compressionProcessor(name: string, codec: CompressionCodec, c: CompressionConfig): ProcessorInstance {
  const limitError = (cause?: unknown) =>
    recordError(
      `${name} decompress: value decompresses to more than maxOutputBytes (${c.maxOutputBytes} bytes); raise ` +
        'maxOutputBytes if such values are expected (the limit stops compression bombs)',
      cause,
      'E_DECOMPRESS_LIMIT',
    );
  const failure = (err: unknown) => {
    if (err instanceof OutputLimitExceeded || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return limitError(err);
    }
    return recordError(
      `${name} decompress: value is not valid ${codec.format} (${(err as Error).message})`,
      err,
      'E_DECOMPRESS',
    );
  };

  const decompressValue = (event: SluiceEvent): Maybe<Uint8Array> => {
    if (!(event.value instanceof Uint8Array)) {
      throw recordError(
        `${name} decompress: expected bytes, got ${typeof event.value === 'string' ? 'text' : 'a value that is not bytes'}`,
        undefined,
        'E_DECOMPRESS',
      );
    }
    let out: Maybe<Uint8Array>;
    try {
      out = codec.decompress(asBuffer(event.value), c.maxOutputBytes);
    } catch (err) {
      throw failure(err);
    }
    const checked = (bytes: Uint8Array) => {
      if (bytes.byteLength > c.maxOutputBytes) throw limitError();
      return bytes;
    };
    return out instanceof Promise ? out.then(checked, (err) => Promise.reject(failure(err))) : checked(out);
  };

  const splitBatch = (whole: SluiceEvent, bytes: Uint8Array): SluiceEvent[] => {
    const text = toText(bytes);
    const lines = text === '' ? [] : text.split('\n');
    const declared = whole.headers[BATCH_COUNT_HEADER];
    if (declared !== undefined && Number(declared) !== lines.length) {
      throw recordError(
        `${name} decompress: batch holds ${lines.length} events but its header says ${declared}`,
        undefined,
        'E_DECOMPRESS',
      );
    }
    try {
      return lines.map((line) => parseEvent(line));
    } catch (err) {
      throw recordError(
        `${name} decompress: batch is not a list of events (${(err as Error).message})`,
        err,
        'E_DECOMPRESS',
      );
    }
  };

  const perEvent =
    c.action === 'compress'
      ? (event: SluiceEvent) => then(codec.compress(asBuffer(valueBytes(event))), (bytes) => withValue(event, bytes))
      : c.per === 'event'
        ? (event: SluiceEvent) => then(decompressValue(event), (bytes) => withValue(event, bytes))
        : (event: SluiceEvent) => then(decompressValue(event), (bytes) => splitBatch(event, bytes));

  const compressBatch = (batch: readonly SluiceEvent[]): Maybe<ProcessResult> => {
    const lines: string[] = [];
    const written: SluiceEvent[] = [];
    const rejected: NonNullable<ProcessResult['rejected']> = [];
    for (const event of batch) {
      try {
        lines.push(serializeEvent(event));
        written.push(event);
      } catch (err) {
        const message = `${name} compress: event cannot be written into the batch (${(err as Error).message})`;
        rejected.push({ event, error: recordError(message, err, 'E_ENCODE') });
      }
    }
    if (written.length === 0) return { events: [], rejected };
    return then(codec.compress(Buffer.from(lines.join('\n'), 'utf8')), (bytes) => ({
      events: [batchEvent(written, bytes)],
      rejected,
    }));
  };

  return {
    process(batch) {
      if (c.action === 'compress' && c.per === 'batch') return compressBatch(batch);
      if (codec.async) return eachRecordConcurrently(batch, perEvent);
      return eachRecordSync(batch, perEvent as (e: SluiceEvent) => SluiceEvent | SluiceEvent[]);
    },
    close: async () => codec.close?.(),
  };
}

// Like eachRecord, but starts every record at once: an off-thread codec then keeps the thread pool busy.
async function eachRecordConcurrently(
  batch: readonly SluiceEvent[],
  fn: (event: SluiceEvent) => Maybe<SluiceEvent | SluiceEvent[]>,
): Promise<ProcessResult> {
  const settled = await Promise.allSettled(batch.map(async (event) => fn(event)));
  const events: SluiceEvent[] = [];
  const rejected: NonNullable<ProcessResult['rejected']> = [];
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      if (Array.isArray(outcome.value)) events.push(...outcome.value);
      else events.push(outcome.value);
    } else if ((outcome.reason as { kind?: string }).kind === 'record') {
      rejected.push({ event: batch[i], error: outcome.reason as Error });
    } else {
      throw outcome.reason;
    }
  });
  return rejected.length > 0 ? { events, rejected } : { events };
}
