// The last minutes of the deployment's throughput, lag and latency, so the console's charts have a past when the
// page opens. A sample every `everyMs` turns counters into rates over that interval: the fleet's, summed from the
// counts every live worker writes into its heartbeat, or this process's own where no worker reports (embedded
// runs). Lag is read from storage, so it is the fleet's too. The p99 is the fleet's as well: each worker's
// heartbeat carries its latency histogram's cumulative bucket counts, and the observations of every live worker
// between its last two heartbeats are merged before the percentile is taken (this process's histogram where no
// worker reports). Kept only while `--console` is on.
import type { Registry } from 'prom-client';
import type { LoadedConfig } from '../../config/pipeline-spec.js';
import type { WorkerEventCounts, WorkerInfo } from '../../queue/worker-registry.js';
import type { Storage } from '../../storage/storage.js';
import type { HistorySample } from './console-types.js';

export interface MetricHistoryDeps {
  /** Read on every sample: a reload swaps the engine, and its registry carries over. */
  registry(): Registry;
  storage: Storage;
  config: LoadedConfig;
  /** The live workers of the fleet, with the counts of their last heartbeat. */
  workers?(): Promise<WorkerInfo[]>;
}

type Rates = Pick<HistorySample, 'in' | 'out'>;
/** Observations by subscription, as counts by bucket upper bound (cumulative over the bounds). */
type Buckets = Map<string, Map<number, number>>;
type FleetRates = Rates & { buckets?: Buckets };

export interface MetricHistoryOptions {
  /** Default 2000. */
  everyMs?: number;
  /** Default ten minutes. */
  keepMs?: number;
}

/** Counter totals at one moment; latency buckets as cumulative counts by upper bound. */
interface Totals {
  t: number;
  in: Map<string, number>;
  out: Map<string, number>;
  buckets: Map<string, Map<number, number>>;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}

export class MetricHistory {
  readonly everyMs: number;
  private readonly keepMs: number;
  private readonly samples: HistorySample[] = [];
  private previous: Totals | undefined;
  private timer: NodeJS.Timeout | undefined;
  private isSampling = false;
  /** Each reporting worker's last heartbeat counts and the rates they gave against the one before. */
  private readonly workerRates = new Map<
    string,
    { seenAt: number; events: WorkerEventCounts; rates?: Rates; observed?: Buckets }
  >();

  constructor(
    private readonly deps: MetricHistoryDeps,
    options: MetricHistoryOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 2000;
    this.keepMs = options.keepMs ?? 600_000;
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Samples taken after `t` (all kept ones without it), oldest first. */
  since(t = 0): HistorySample[] {
    return this.samples.filter((s) => s.t > t);
  }

  latest(): HistorySample | undefined {
    return this.samples.at(-1);
  }

  /** Takes one sample now; the first one only sets the baseline rates are counted from. */
  async sample(): Promise<void> {
    if (this.isSampling) return;
    this.isSampling = true;
    try {
      const totals = await this.totals();
      const lag = await this.lag();
      const fleet = await this.fleetRates();
      const before = this.previous;
      this.previous = totals;
      if (!before) return;
      const seconds = Math.max(0.001, (totals.t - before.t) / 1000);
      this.samples.push({
        t: totals.t,
        in: fleet?.in ?? rates(before.in, totals.in, seconds),
        out: fleet?.out ?? rates(before.out, totals.out, seconds),
        lag,
        p99: fleet?.buckets
          ? Object.fromEntries([...fleet.buckets].map(([k, b]) => [k, p99(undefined, b)]))
          : Object.fromEntries([...totals.buckets].map(([k, b]) => [k, p99(before.buckets.get(k), b)])),
      });
      while (this.samples.length > 0 && this.samples[0].t < totals.t - this.keepMs) this.samples.shift();
    } finally {
      this.isSampling = false;
    }
  }

  private async totals(): Promise<Totals> {
    const registry = this.deps.registry();
    const values = async (name: string): Promise<MetricValue[]> =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? []) as MetricValue[];
    const sum = (into: Map<string, number>, key: string, value: number) => into.set(key, (into.get(key) ?? 0) + value);
    const totals: Totals = { t: Date.now(), in: new Map(), out: new Map(), buckets: new Map() };
    for (const v of await values('sluice_events_in_total')) sum(totals.in, String(v.labels.pipeline), v.value);
    for (const v of await values('sluice_events_out_total')) {
      sum(totals.out, `${v.labels.pipeline}.${v.labels.sink}`, v.value);
    }
    for (const v of await values('sluice_end_to_end_latency_seconds')) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const key = `${v.labels.pipeline}.${v.labels.sink}`;
      const buckets = totals.buckets.get(key) ?? new Map<number, number>();
      buckets.set(v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), v.value);
      totals.buckets.set(key, buckets);
    }
    return totals;
  }

  /**
   * The sum of every live worker's rates, each from its last two heartbeats (a worker's rate holds until its next
   * one, so rates do not flicker between beats); undefined when no worker reports counts.
   */
  private async fleetRates(): Promise<FleetRates | undefined> {
    let workers: WorkerInfo[];
    try {
      workers = ((await this.deps.workers?.()) ?? []).filter((w) => w.events !== undefined);
    } catch {
      return undefined;
    }
    if (workers.length === 0) return undefined;
    const sum: FleetRates = { in: {}, out: {} };
    for (const w of workers) {
      const events = w.events as WorkerEventCounts;
      const seen = this.workerRates.get(w.id);
      if (!seen || w.seenAt > seen.seenAt) {
        const seconds = seen ? Math.max(0.001, (w.seenAt - seen.seenAt) / 1000) : 0;
        const between: Rates | undefined = seen
          ? {
              in: rates(countsOf(seen.events.in), countsOf(events.in), seconds),
              out: rates(countsOf(seen.events.out), countsOf(events.out), seconds),
            }
          : undefined;
        const observed =
          seen && events.latency ? observedBetween(seen.events.latency ?? {}, events.latency) : undefined;
        this.workerRates.set(w.id, { seenAt: w.seenAt, events, rates: between, observed });
      }
      const r = this.workerRates.get(w.id);
      if (r?.rates) {
        addInto(sum.in, r.rates.in);
        addInto(sum.out, r.rates.out);
      }
      if (r?.observed) {
        sum.buckets ??= new Map();
        for (const [key, counts] of r.observed) {
          const into = sum.buckets.get(key) ?? new Map<number, number>();
          for (const [le, n] of counts) into.set(le, (into.get(le) ?? 0) + n);
          sum.buckets.set(key, into);
        }
      }
    }
    const live = new Set(workers.map((w) => w.id));
    for (const id of this.workerRates.keys()) if (!live.has(id)) this.workerRates.delete(id);
    return sum;
  }

  /** Lag of every subscription of the configured pipelines; one storage cannot answer: left out of this sample. */
  private async lag(): Promise<Record<string, number>> {
    const lag: Record<string, number> = {};
    for (const p of this.deps.config.pipelines) {
      for (const s of p.sinks) {
        try {
          const positions = await this.deps.storage.positions(p.topic, s.subscription);
          lag[s.subscription] = positions.reduce((n, pos) => n + pos.lag, 0);
        } catch {
          // storage away: the chart shows a gap rather than a zero
        }
      }
    }
    return lag;
  }
}

/** What a worker observed between two heartbeats: the differences of its cumulative bucket counts. */
function observedBetween(
  before: Record<string, Record<string, number>>,
  now: Record<string, Record<string, number>>,
): Buckets {
  const observed: Buckets = new Map();
  for (const [key, counts] of Object.entries(now)) {
    const delta = new Map<number, number>();
    for (const [le, n] of Object.entries(counts)) {
      delta.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Math.max(0, n - (before[key]?.[le] ?? 0)));
    }
    observed.set(key, delta);
  }
  return observed;
}

function countsOf(record: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(record));
}

function addInto(into: Record<string, number>, more: Record<string, number>): void {
  for (const [k, v] of Object.entries(more)) into[k] = (into[k] ?? 0) + v;
}

function rates(before: Map<string, number>, now: Map<string, number>, seconds: number): Record<string, number> {
  return Object.fromEntries([...now].map(([k, v]) => [k, Math.max(0, v - (before.get(k) ?? 0)) / seconds]));
}

/**
 * The 99th percentile of the observations made between two readings of a histogram: the upper bound of the first
 * bucket that holds 99% of them (the largest finite bound when only +Inf does). Null when there were none.
 */
export function p99(before: Map<number, number> | undefined, now: Map<number, number>): number | null {
  const bounds = [...now.keys()].sort((a, b) => a - b);
  const delta = (le: number) => (now.get(le) ?? 0) - (before?.get(le) ?? 0);
  const total = delta(Number.POSITIVE_INFINITY);
  if (total <= 0) return null;
  const finite = bounds.filter(Number.isFinite);
  for (const le of finite) if (delta(le) >= total * 0.99) return le;
  return finite.at(-1) ?? null;
}
