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

  /** Resolves once the process says it started its pipelines (before then a signal finds no handler). */
  whenStarted(timeoutMs = 300_000): Promise<void> {
    return waitFor(() => this.log().includes('"msg":"sluice started"'), timeoutMs, `${this.logFile} to say it started`);
  }

  /** The admin port's base URL, once the process logged that it listens (`--admin`). */
  async adminUrl(timeoutMs = 120_000): Promise<string> {
    let url = '';
    await waitFor(
      () => {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"admin port listening"/.exec(this.log())?.[1] ?? '';
        return url !== '';
      },
      timeoutMs,
      `${this.logFile} to say its admin port listens`,
    );
    return url;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }
}

/** How often each sequence number occurs: the one checker every fault case counts its destination with. */
export function countSequences(seqs: Iterable<number>, into = new Map<number, number>()): Map<number, number> {
  for (const seq of seqs) into.set(seq, (into.get(seq) ?? 0) + 1);
  return into;
}

/** Counts of each `value.seq` in every NDJSON file of a folder. */
export function sequenceCounts(dir: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(dir)) return counts;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.ndjson')) continue;
    // The last piece is '' once a sink has finished its write, or a line it is still writing: not counted yet.
    const lines = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .slice(0, -1)
      .filter((line) => line !== '');
    countSequences(
      lines.map((line) => (JSON.parse(line) as { value: { seq: number } }).value.seq),
      counts,
    );
  }
  return counts;
}

export interface DeliveryReport {
  distinct: number;
  missing: number;
  duplicates: number;
}

/** Missing and duplicated sequence numbers among 1..total, or among the given ones (those acknowledged). */
export function deliveryReport(counts: Map<number, number>, expected: number | Iterable<number>): DeliveryReport {
  let missing = 0;
  let duplicates = 0;
  for (const seq of typeof expected === 'number' ? sequenceRange(expected) : expected) {
    const n = counts.get(seq) ?? 0;
    if (n === 0) missing++;
    else duplicates += n - 1;
  }
  return { distinct: counts.size, missing, duplicates };
}

function* sequenceRange(total: number): Iterable<number> {
  for (let seq = 1; seq <= total; seq++) yield seq;
}

/** Waits until `check` holds (true) or `timeoutMs` passes (false), for cases that report a shortfall. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  if (!(await waitUntil(check, timeoutMs))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
