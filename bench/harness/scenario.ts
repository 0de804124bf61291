// What a scenario is and how it is repeated. A scenario measures Sluice and its baselines as variants; each
// repetition runs every variant once, interleaved, so that a drift of the machine touches them alike, and
// every figure is summarised as a median with its spread. Ratios compare medians of the same run.
import type { Redis } from 'ioredis';
import { type Summary, summarize } from './stats.js';

export interface RunContext {
  /** Tiny sizes and one repetition: proves the bench still runs (CI). */
  smoke: boolean;
  reps: number;
  /** Unmeasured runs of each variant before the measured ones. */
  warmups: number;
  redis: Redis;
  /** CPU time the Redis server has used so far, seconds (NaN when it runs elsewhere). */
  redisCpuSeconds(): number;
  /** This run's Redis key prefix; each variant and repetition writes under a longer one. */
  prefix: string;
  /** Scratch folder of this run (pipeline files). */
  tmp: string;
  /** When set, Sluice processes write CPU profiles here. */
  profileDir?: string;
  /** Run only the variants whose name starts with one of these (`--variants sluice`: profiling). */
  variants?: string[];
  log(line: string): void;
}

/** One measurement of one variant. Absent figures do not apply to the variant. */
export interface Measurement {
  eventsPerSec: number;
  /** Payload megabytes (10^6) per second. */
  mbPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Peak resident memory of the process(es) doing the work, bytes (the largest one). */
  peakRssBytes?: number;
  redisBytesPerEvent?: number;
  /** CPU time the variant's processes spent per event while measured, microseconds (a share of 2 cores). */
  cpuUsPerEvent?: number;
  /** CPU time the Redis server spent per event while measured, microseconds. */
  redisCpuUsPerEvent?: number;
  /** Events per delivered batch (per request the receiver got). */
  eventsPerBatch?: number;
  /** Requests the delivering worker sent Redis and waited for, per delivered batch (a pipeline or script is one). */
  roundTripsPerBatch?: number;
  /** Redis commands the delivering worker sent per delivered batch. */
  commandsPerBatch?: number;
  /** CPU time of the load client over its sending time: 1 is one core fully busy, the client's own limit. */
  clientCpuShare?: number;
  /** CPU time of the receiver over the measured time: 1 is one core fully busy, the receiver's own limit. */
  receiverCpuShare?: number;
  /** Events that should have arrived and did not (must be 0). */
  missing?: number;
}

export type MetricName = Exclude<keyof Measurement, 'missing'>;

const METRICS: readonly MetricName[] = [
  'eventsPerSec',
  'mbPerSec',
  'p50Ms',
  'p99Ms',
  'peakRssBytes',
  'redisBytesPerEvent',
  'cpuUsPerEvent',
  'redisCpuUsPerEvent',
  'eventsPerBatch',
  'roundTripsPerBatch',
  'commandsPerBatch',
  'clientCpuShare',
  'receiverCpuShare',
];

export interface VariantResult {
  /** What this variant is and how it ran (processes, in-process). */
  description: string;
  metrics: Partial<Record<MetricName, Summary>>;
  missing: number;
}

export interface Ratio {
  name: string;
  value: number;
  /** The target, as a factor the value must reach (`atLeast`) or stay under (`atMost`). */
  target?: { atLeast?: number; atMost?: number };
  met?: boolean;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** Why nothing was measured (a component missing): never a made-up figure. */
  skipped?: string;
  /** What went wrong when the scenario crashed. */
  error?: string;
  variants: Record<string, VariantResult>;
  ratios: Ratio[];
  notes: string[];
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: RunContext): Promise<ScenarioResult>;
}

export interface Variant {
  name: string;
  description: string;
  measure(rep: number): Promise<Measurement>;
}

/** Runs the variants `warmups` times unmeasured, then `reps` times measured, interleaved. */
export async function repeat(ctx: RunContext, all: readonly Variant[]): Promise<Record<string, VariantResult>> {
  const variants = all.filter((v) => !ctx.variants || ctx.variants.some((prefix) => v.name.startsWith(prefix)));
  const samples = new Map<string, Measurement[]>(variants.map((v) => [v.name, []]));
  for (let w = 0; w < ctx.warmups; w++) {
    for (const v of variants) {
      ctx.log(`  warm-up ${v.name}`);
      await v.measure(-1 - w);
    }
  }
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const v of variants) {
      const m = await v.measure(rep);
      ctx.log(`  rep ${rep + 1}/${ctx.reps} ${v.name}: ${describe(m)}`);
      samples.get(v.name)?.push(m);
    }
  }
  const out: Record<string, VariantResult> = {};
  for (const v of variants) {
    const ms = samples.get(v.name) ?? [];
    const metrics: VariantResult['metrics'] = {};
    addMeasurements(metrics, ms);
    out[v.name] = { description: v.description, metrics, missing: ms.reduce((n, m) => n + (m.missing ?? 0), 0) };
  }
  return out;
}

/** Adds the summaries of the figures in `ms` to `metrics` (figures measured in runs of their own). */
export function addMeasurements(metrics: VariantResult['metrics'], ms: readonly Partial<Measurement>[]): void {
  for (const key of METRICS) {
    const values = ms.map((m) => m[key]).filter((x): x is number => x !== undefined && Number.isFinite(x));
    if (values.length > 0) metrics[key] = summarize(values);
  }
}

function describe(m: Measurement): string {
  const parts = [`${Math.round(m.eventsPerSec)} ev/s`];
  if (m.mbPerSec !== undefined) parts.push(`${m.mbPerSec.toFixed(1)} MB/s`);
  if (m.p50Ms !== undefined) parts.push(`p50 ${m.p50Ms.toFixed(1)} ms`);
  if (m.p99Ms !== undefined) parts.push(`p99 ${m.p99Ms.toFixed(1)} ms`);
  if (m.peakRssBytes !== undefined) parts.push(`rss ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  if (m.redisBytesPerEvent !== undefined) parts.push(`redis ${m.redisBytesPerEvent.toFixed(0)} B/ev`);
  if (m.cpuUsPerEvent !== undefined) parts.push(`cpu ${m.cpuUsPerEvent.toFixed(0)} µs/ev`);
  if (m.redisCpuUsPerEvent !== undefined) parts.push(`redis cpu ${m.redisCpuUsPerEvent.toFixed(0)} µs/ev`);
  if (m.clientCpuShare !== undefined) parts.push(`client cpu ${(m.clientCpuShare * 100).toFixed(0)}%`);
  if (m.receiverCpuShare !== undefined) parts.push(`receiver cpu ${(m.receiverCpuShare * 100).toFixed(0)}%`);
  if (m.missing) parts.push(`MISSING ${m.missing}`);
  return parts.join(', ');
}

/** Ratio of two variants' medians of one metric, checked against a target. */
export function ratioOf(
  name: string,
  variants: Record<string, VariantResult>,
  a: string,
  b: string,
  metric: MetricName = 'eventsPerSec',
  target?: Ratio['target'],
): Ratio {
  const value =
    (variants[a]?.metrics[metric]?.median ?? Number.NaN) / (variants[b]?.metrics[metric]?.median ?? Number.NaN);
  return withTarget(name, value, target);
}

export function withTarget(name: string, value: number, target?: Ratio['target']): Ratio {
  if (!target) return { name, value };
  const met =
    Number.isFinite(value) &&
    (target.atLeast === undefined || value >= target.atLeast) &&
    (target.atMost === undefined || value <= target.atMost);
  return { name, value, target, met };
}
