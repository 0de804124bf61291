// Prints an error the way a user needs it: config issues one per line with file:line:col, anything else as
// its message with its code, never a stack trace unless SLUICE_DEBUG is set, never a secret.
import { ConfigIssues, formatIssue } from '../config/issues.js';
import type { Redactor } from '../config/redactor.js';
import { errorKind, toSluiceError } from '../errors.js';
import { EXIT } from './exit-codes.js';

export function reportError(err: unknown, redactor?: Redactor, out: NodeJS.WritableStream = process.stderr): number {
  const redact = (s: string) => (redactor ? redactor.text(s) : s);
  if (err instanceof ConfigIssues) {
    const n = err.issues.length;
    out.write(`sluice: ${n} configuration problem${n === 1 ? '' : 's'}; nothing was started\n`);
    for (const issue of err.issues) out.write(`  ${redact(formatIssue(issue))}\n`);
    return EXIT.config;
  }
  const e = toSluiceError(err);
  out.write(`sluice: ${redact(e.message)}${e.code && !e.code.startsWith('E_RETRYABLE') ? ` [${e.code}]` : ''}\n`);
  if (process.env.SLUICE_DEBUG && err instanceof Error && err.stack) out.write(`${redact(err.stack)}\n`);
  return errorKind(err) === 'config' ? EXIT.config : EXIT.failure;
}
