// The `stdout` sink: writes each event as one line on the process's standard output. A batch is
// acknowledged only once its text is handed to the operating system, which is also the backpressure.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { FatalError } from '../../core/errors.js';
import { defineSink, type PluginContext, type SinkInstance, z } from '../../core/plugin.js';
import { outputFormat, timestampFormat, writeBatch } from '../line-format/write-line.js';

export const stdoutConfig = z.object({ format: outputFormat, ts: timestampFormat });

export type StdoutConfig = z.output<typeof stdoutConfig>;

/** The sink on any writable stream; the plugin writes to `process.stdout`, tests give their own stream. */
export function createStdoutSink(
  config: StdoutConfig,
  _ctx: PluginContext,
  output: Writable = process.stdout,
): SinkInstance {
  // An unhandled 'error' (EPIPE when the reader exits) would crash the process: keep it for the next write.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  output.on('error', onError);

  const closed = (err: Error) =>
    new FatalError(
      `stdout sink: standard output is closed (${(err as NodeJS.ErrnoException).code ?? err.message}); ` +
        'the program reading it has exited',
      { code: 'E_STDOUT_CLOSED', cause: err },
    );

  return {
    async write(batch) {
      const { text, rejected } = writeBatch(config, batch);
      if (text !== '') {
        if (broken) throw closed(broken);
        let isBelowLimit = true;
        await new Promise<void>((resolve, reject) => {
          isBelowLimit = output.write(text, (err) => (err ? reject(closed(err)) : resolve()));
        });
        if (!isBelowLimit && output.writableNeedDrain) await once(output, 'drain');
      }
      return rejected.length > 0 ? { rejected } : undefined;
    },
    async close() {
      output.off('error', onError);
    },
  };
}

export default defineSink({
  name: 'stdout',
  summary: 'Write events to standard output, one per line (NDJSON, JSON values, or plain text).',
  config: stdoutConfig,
  create: (config, ctx) => createStdoutSink(config, ctx),
});
