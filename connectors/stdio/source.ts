// The `stdin` source: reads the process's standard input line by line, NDJSON or plain lines, and emits
// batches. It is finite: when the input ends, `listen` resolves after the last batch is stored.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { SluiceEvent } from '../../core/event.js';
import { defineSource, type ListenSource, MAX_TIMER_MS, type PluginContext, z } from '../../core/plugin.js';
import { inputFormat, type LineReader, onInvalidLine, readLine } from '../line-format/read-line.js';

export const stdinConfig = z.object({
  format: inputFormat,
  onInvalid: onInvalidLine,
  batchSize: z.number().int().positive().default(100).describe('Most events emitted (and stored) at once.'),
  lingerMs: z
    .number()
    .int()
    .max(MAX_TIMER_MS)
    .nonnegative()
    .default(10)
    .describe('How long a started batch waits for more lines before it is emitted, in milliseconds.'),
});

export type StdinConfig = z.output<typeof stdinConfig>;

const LINGER = Symbol('linger');
const STOP = Symbol('stop');

/** The source on any readable stream; the plugin reads `process.stdin`, tests give their own stream. */
export function createStdinSource(
  config: StdinConfig,
  ctx: PluginContext,
  input: Readable = process.stdin,
): ListenSource {
  const closing = new AbortController();
  const stop = AbortSignal.any([ctx.signal, closing.signal]);
  const reader: LineReader = { format: config.format, onInvalid: config.onInvalid, logger: ctx.logger };

  return {
    async listen(emit) {
      const decoder = new StringDecoder('utf8');
      const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
      let partial = '';
      let lineNumber = 0;
      let pending: SluiceEvent[] = [];
      let lingerUntil = 0;

      const take = (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) add(line);
      };
      const add = (line: string) => {
        lineNumber++;
        const event = readLine(reader, line, `stdin line ${lineNumber}`, Date.now());
        if (event === null) return;
        if (pending.length === 0) lingerUntil = Date.now() + config.lingerMs;
        pending.push(event);
      };
      const flush = async (all: boolean) => {
        while (pending.length >= config.batchSize || (all && pending.length > 0)) {
          const batch = pending.slice(0, config.batchSize);
          pending = pending.slice(batch.length);
          await emit(batch);
        }
        if (pending.length > 0) lingerUntil = Date.now() + config.lingerMs;
      };

      let next: Promise<IteratorResult<Buffer | string>> | undefined;
      while (!stop.aborted) {
        next ??= chunks.next();
        const lingerMs = pending.length > 0 ? Math.max(0, lingerUntil - Date.now()) : undefined;
        const got = await nextOrTimeout(next, lingerMs, stop);
        if (got === STOP) break;
        if (got === LINGER) {
          await flush(true);
          continue;
        }
        next = undefined;
        if (got.done) {
          const rest = partial + decoder.end();
          partial = '';
          if (rest !== '') add(rest);
          break;
        }
        take(typeof got.value === 'string' ? got.value : decoder.write(got.value));
        await flush(false);
      }
      // Lines already read cannot be read again: store them even when stopping. A line still without its
      // line break at shutdown was never finished and is not an event.
      await flush(true);
      // A pending read would keep the process alive; the iterator cannot be returned while a read waits.
      if (stop.aborted) input.destroy();
    },
    async close() {
      closing.abort();
    },
  };
}

function nextOrTimeout<T>(
  next: Promise<T>,
  timeoutMs: number | undefined,
  stop: AbortSignal,
): Promise<T | typeof LINGER | typeof STOP> {
  if (stop.aborted) return Promise.resolve(STOP);
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(LINGER), timeoutMs);
    const onStop = () => done(STOP);
    const done = (value: T | typeof LINGER | typeof STOP) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      resolve(value);
    };
    stop.addEventListener('abort', onStop, { once: true });
    next.then(done, (err) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      reject(err);
    });
  });
}

export default defineSource({
  name: 'stdin',
  summary: 'Read events from standard input, one per line (NDJSON or plain text); finishes when the input ends.',
  config: stdinConfig,
  create: (config, ctx) => createStdinSource(config, ctx),
});
