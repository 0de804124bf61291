// Structured logs (pino) on stderr, so that stdout stays free for the stdout sink. Every argument passes
// through the redactor: a secret never reaches a log line.
import pino from 'pino';
import type { Redactor } from '../config/redactor.js';
import type { Logger } from '../plugin.js';
import { prettyLogStream } from './pretty-log-stream.js';

export interface LoggerOptions {
  level?: string;
  redactor?: Redactor;
  /** Where lines go (default: stderr). */
  destination?: NodeJS.WritableStream;
  /** Lines for people instead of JSON (for a terminal). */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const { redactor } = options;
  return pino(
    {
      level: options.level ?? process.env.SLUICE_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      ...(redactor
        ? {
            hooks: {
              logMethod(args, method) {
                method.apply(this, args.map((a) => redactor.value(a)) as Parameters<typeof method>);
              },
            },
          }
        : {}),
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? (options.pretty ? prettyLogStream() : pino.destination({ fd: 2, sync: false })),
  );
}

/** A logger that drops everything (tests, `--quiet`). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
