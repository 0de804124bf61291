// The logger a queue uses when it is given none: warnings and errors as JSON lines on stderr, so that a failing
// job or a lost lease is never silent.
import type { Logger } from '../plugin.js';

function line(level: string, obj: object | string, msg?: string): void {
  const fields = typeof obj === 'string' ? { msg: obj } : { ...obj, msg };
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), ...fields })}\n`);
}

export const fallbackLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (obj, msg) => line('warn', obj, msg),
  error: (obj, msg) => line('error', obj, msg),
};
