// Summaries of repeated measurements: the median and the spread (min, max and the interquartile range), and
// percentiles of latency samples. A figure is only ever compared with another measured in the same run.

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** First and third quartile. */
  q1: number;
  q3: number;
  /** How many measurements. */
  n: number;
}

/** The `p`-th percentile (0–100) of ascending samples, by linear interpolation. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    q1: percentile(sorted, 25),
    q3: percentile(sorted, 75),
    n: sorted.length,
  };
}

/** Relative spread of a summary, (max − min) / median, for the printed table. */
export function relativeSpread(s: Summary): number {
  return s.median === 0 ? 0 : (s.max - s.min) / s.median;
}

/** Latency samples collected in a growable typed array (no per-sample object). */
export class LatencySamples {
  private data = new Float64Array(1024);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  clear(): void {
    this.size = 0;
  }

  /** p50, p99 and max, ms. */
  quantiles(): { p50: number; p99: number; max: number } {
    const sorted = this.data.slice(0, this.size).sort();
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
  }
}

/** This process's CPU time (user and system) since `since`, µs. */
export function cpuMicrosSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}
