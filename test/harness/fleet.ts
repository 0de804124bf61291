// Worker processes of a fleet, started the way users start them (`sluice worker file.yaml`), and the
// bookkeeping the fleet tests share: which sequence numbers arrived, and how often.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./sluice-cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export class SluiceProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    alive.add(child);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        alive.delete(child);
        resolve({ code, signal });
      });
    });
  }

  /** Starts `sluice <args>` from source, its stdout and stderr going to `logFile`. */
  static start(args: string[], logFile: string, env: Record<string, string> = {}): SluiceProcess {
    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new SluiceProcess(child, logFile);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }
}

/** Counts of each `value.seq` in every NDJSON file of a folder. */
export function sequenceCounts(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(dir)) return counts;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.ndjson')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      const seq = (JSON.parse(line) as { value: { seq: number } }).value.seq;
      counts.set(seq, (counts.get(seq) ?? 0) + 1);
    }
  }
  return counts;
}

export interface DeliveryReport {
  distinct: number;
  missing: number;
  duplicates: number;
}

/** Missing and duplicated sequence numbers among 1..total. */
export function deliveryReport(counts: Map<number, number>, total: number): DeliveryReport {
  let missing = 0;
  let duplicates = 0;
  for (let seq = 1; seq <= total; seq++) {
    const n = counts.get(seq) ?? 0;
    if (n === 0) missing++;
    else duplicates += n - 1;
  }
  return { distinct: counts.size, missing, duplicates };
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
