// Starting the processes of a scenario the way users run them (each its own Node process, since they share the
// machine's cores), waiting until each is ready, reading its peak memory, and stopping it. Bench scripts print
// `@ready {json}` once serving and `@result {json}` when done; the Sluice CLI is ready at its "sluice started" log.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLUICE_CLI = fileURLToPath(new URL('../../test/harness/sluice-cli.ts', import.meta.url));

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Write a V8 CPU profile into this folder when the process exits. */
  cpuProfileDir?: string;
  /** Name used in messages and in the profile's file name. */
  label: string;
}

export interface Child {
  readonly label: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The JSON of the first `@ready` line (bench scripts), or `{}` for the Sluice CLI. */
  ready(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** The JSON of the `@result` line, once the process printed it and exited (a CPU profile is written by then). */
  result(timeoutMs: number): Promise<Record<string, unknown>>;
  /** Peak resident memory so far (VmHWM), bytes; NaN once the process is gone. */
  peakRss(): number;
  /** CPU time used so far (user + system), seconds; NaN once the process is gone. */
  cpuSeconds(): number;
  /** Sends SIGTERM, waits for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** Last lines of stderr, for error messages. */
  tail(): string;
}

// Every child still running, so that a failed scenario never leaves load or servers behind.
const live = new Set<Child>();

/** Stops every child this process started and that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(3_000)));
}

process.on('exit', () => {
  for (const c of live) c.process.kill('SIGKILL');
});

// /proc/<pid>/stat counts CPU time in clock ticks, which are 1/100 s on Linux.
const TICKS_PER_SECOND = 100;

/** CPU time of a live process (user + system), seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

function keepMainProfile(threadsDir: string, target: string): void {
  try {
    const files = readdirSync(threadsDir).map((f) => join(threadsDir, f));
    const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (largest) renameSync(largest, target);
  } catch {
    // No profile (the process was killed): nothing to keep.
  }
  rmSync(threadsDir, { recursive: true, force: true });
}

/** Peak resident set size of a live process, bytes, from /proc/<pid>/status. */
export function peakRssOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function start(args: string[], options: SpawnOptions, isReady: (line: string) => Record<string, unknown> | undefined) {
  // Every thread writes a profile (tsx runs a loader thread), so each process gets a folder of its own and keeps
  // only its main thread's, the largest, as <label>.cpuprofile.
  const profileDir = options.cpuProfileDir ? join(options.cpuProfileDir, `${options.label}.threads`) : undefined;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
  };
  let readyValue: Record<string, unknown> | undefined;
  let resultValue: Record<string, unknown> | undefined;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  const onLine = (line: string) => {
    if (line.startsWith('@result ')) resultValue = JSON.parse(line.slice(8));
    else if (!readyValue) readyValue = isReady(line);
    if (!line.startsWith('@')) keep(line);
    wake();
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    // 'close', not 'exit': by then every line the process printed has been read.
    child.on('close', (code, signal) => {
      if (profileDir && options.cpuProfileDir)
        keepMainProfile(profileDir, join(options.cpuProfileDir, `${options.label}.cpuprofile`));
      exitCode = code ?? (signal ? 128 : null);
      live.delete(handle);
      resolve(exitCode);
      wake();
    }),
  );
  const tail = () => lines.join('\n');
  const waitFor = <T>(what: string, get: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        reject(new Error(`${options.label}: no ${what} within ${timeoutMs} ms\n${tail()}`));
      }, timeoutMs);
      const check = () => {
        const v = get();
        if (v !== undefined) {
          clearTimeout(deadline);
          resolve(v);
        } else if (exitCode !== undefined) {
          clearTimeout(deadline);
          reject(new Error(`${options.label} exited (code ${exitCode}) before its ${what}\n${tail()}`));
        } else waiters.push(check);
      };
      check();
    });
  const handle: Child = {
    label: options.label,
    process: child,
    pid: child.pid ?? -1,
    // Starting from source (tsx) on two cores busy with other work has taken over 30 s.
    ready: (timeoutMs = 90_000) => waitFor('ready signal', () => readyValue, timeoutMs),
    result: (timeoutMs) => waitFor('result', () => (exitCode !== undefined ? resultValue : undefined), timeoutMs),
    peakRss: () => peakRssOf(child.pid ?? -1),
    cpuSeconds: () => cpuSecondsOf(child.pid ?? -1),
    exited,
    tail,
    async stop(graceMs = 10_000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(handle);
  return handle;
}

/** Runs a bench script (`bench/...ts`) with a JSON argument. */
export function spawnScript(script: string, arg: unknown, options: SpawnOptions): Child {
  return start([fileURLToPath(new URL(`../${script}`, import.meta.url)), JSON.stringify(arg)], options, (line) =>
    line.startsWith('@ready ') ? JSON.parse(line.slice(7)) : undefined,
  );
}

/** Runs the `sluice` command from source, as a user runs it; ready once it logged "sluice started". */
export function spawnSluice(args: string[], options: SpawnOptions): Child {
  return start([SLUICE_CLI, ...args, '--log-level', 'info'], options, (line) =>
    line.includes('"msg":"sluice started"') ? {} : undefined,
  );
}
