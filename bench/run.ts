// `npm run bench [-- <scenario>...] [--smoke] [--reps N] [--warmups N] [--profile] [--variants a,b]`: runs the
// benchmark scenarios, prints medians, spreads and ratios, and writes them to bench/results/latest.json. Exit 0
// when every scenario ran (or was skipped for a missing component), 1 when one crashed or lost events.
//   --profile        Sluice processes write CPU profiles (node --cpu-prof) to bench/results/profiles/
//   --variants a,b   only the variants whose names start so (e.g. `--variants sluice` to profile Sluice alone)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedis, deleteKeys, runPrefix } from './harness/bench-redis.js';
import { cpuSecondsOf, stopAll } from './harness/child.js';
import { describeMachine, formatScenario } from './harness/report.js';
import type { RunContext, Scenario, ScenarioResult } from './harness/scenario.js';
import { embedded } from './scenarios/1-embedded.js';
import { ingest } from './scenarios/2-ingest.js';
import { endToEnd } from './scenarios/3-end-to-end.js';
import { processors } from './scenarios/4-processors.js';
import { latency } from './scenarios/5-latency.js';
import { sql } from './scenarios/6-sql.js';
import { queryScenario } from './scenarios/7-query.js';
import { ftp } from './scenarios/8-ftp.js';
import { sftp } from './scenarios/9-sftp.js';

const SCENARIOS: Scenario[] = [embedded, ingest, endToEnd, processors, latency, sql, queryScenario, ftp, sftp];

function parseArgs(argv: string[]) {
  const options = {
    smoke: false,
    reps: 3,
    warmups: 1,
    profile: false,
    variants: undefined as string[] | undefined,
    names: [] as string[],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') options.smoke = true;
    else if (a === '--reps') options.reps = Number(argv[++i]);
    else if (a === '--warmups') options.warmups = Number(argv[++i]);
    else if (a === '--profile') options.profile = true;
    else if (a === '--variants') options.variants = argv[++i].split(',');
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        `usage: npm run bench -- [scenario...] [--smoke] [--reps N] [--warmups N] [--profile] [--variants a,b]\nscenarios: ${SCENARIOS.map((s, i) => `${i + 1} ${s.name}`).join(', ')}\n`,
      );
      process.exit(0);
    } else options.names.push(a);
  }
  if (!Number.isInteger(options.reps) || options.reps < 1) throw new Error('--reps takes a whole number ≥ 1');
  if (!Number.isInteger(options.warmups) || options.warmups < 0) throw new Error('--warmups takes a whole number ≥ 0');
  if (options.smoke) {
    options.reps = 1;
    options.warmups = 0;
  }
  return options;
}

function pick(names: string[]): Scenario[] {
  if (names.length === 0) return SCENARIOS;
  return names.map((n) => {
    const found = SCENARIOS.find((s, i) => n === s.name || n === String(i + 1) || n === `${i + 1}-${s.name}`);
    if (!found)
      throw new Error(`no scenario "${n}"; there are: ${SCENARIOS.map((s, i) => `${i + 1} ${s.name}`).join(', ')}`);
    return found;
  });
}

const options = parseArgs(process.argv.slice(2));
const chosen = pick(options.names);
const redis = await connectRedis();
const prefix = runPrefix();
const tmp = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const profileDir = options.profile ? join(resultsDir, 'profiles') : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
// Redis runs on this machine: its own CPU time shows how much of the work each variant puts on it.
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
const ctx: RunContext = {
  redisCpuSeconds: () => cpuSecondsOf(redisPid),
  smoke: options.smoke,
  reps: options.reps,
  warmups: options.warmups,
  redis,
  prefix,
  tmp,
  profileDir,
  variants: options.variants,
  log: (line) => process.stderr.write(`${line}\n`),
};

const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
const machine = await describeMachine(redisVersion);
process.stdout.write(
  `Sluice bench${options.smoke ? ' (smoke)' : ''}: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}\n` +
    `${options.reps} repetition(s) after ${options.warmups} warm-up(s); medians with (min–max)\n`,
);

const started = Date.now();
const results: ScenarioResult[] = [];
let failed = false;
for (const scenario of chosen) {
  ctx.log(`${scenario.title}`);
  const t0 = Date.now();
  try {
    const r = await scenario.run(ctx);
    results.push(r);
    if (Object.values(r.variants).some((v) => v.missing > 0)) failed = true;
    process.stdout.write(`${formatScenario(r)}\n`);
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    results.push({ name: scenario.name, title: scenario.title, variants: {}, ratios: [], notes: [], error: message });
    process.stdout.write(`\n${scenario.title}\n  FAILED: ${message}\n`);
  } finally {
    await stopAll();
    await deleteKeys(redis, prefix);
  }
  ctx.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const seconds = (Date.now() - started) / 1000;
process.stdout.write(`\nfinished in ${seconds.toFixed(0)} s\n`);
writeFileSync(
  join(resultsDir, 'latest.json'),
  `${JSON.stringify({ date: new Date().toISOString(), smoke: options.smoke, reps: options.reps, warmups: options.warmups, seconds, machine, scenarios: results }, null, 2)}\n`,
);
redis.disconnect();
rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
