// On a terminal, log lines for people: `12:00:01 WARN  message  key=value …` instead of JSON, written above the
// live status line (the line is cleared first, the status redraws itself on its next tick).
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
const OMIT = new Set(['level', 'time', 'pid', 'msg', 'hostname']);

function field(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value !== null && typeof value === 'object' && 'message' in value)
    return JSON.stringify((value as { message: unknown }).message);
  return JSON.stringify(value);
}

export function prettyLogStream(out: NodeJS.WriteStream = process.stderr): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          out.write(`${line}\n`);
          continue;
        }
        const level = Number(entry.level);
        const time = new Date(Number(entry.time)).toTimeString().slice(0, 8);
        const rest = Object.entries(entry)
          .filter(([k]) => !OMIT.has(k))
          .map(([k, v]) => `${k}=${field(v)}`)
          .join(' ');
        const color = COLORS[level] ?? '';
        out.write(
          `\r\x1b[2K${time} ${color}${LEVELS[level] ?? level}${color ? '\x1b[0m' : ''} ${String(entry.msg ?? '')}${rest ? `  ${rest}` : ''}\n`,
        );
      }
      done();
    },
  });
}
