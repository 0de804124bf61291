// Counters of one process, per pipeline: what came in, what went out, what was dead-lettered, what was retried.

export interface PipelineCounters {
  in: number;
  out: number;
  deadLettered: number;
  retries: number;
  /** Last error seen, already redacted, for the status line. */
  lastError?: string;
}

export class Metrics {
  private readonly counters = new Map<string, PipelineCounters>();

  for(pipeline: string): PipelineCounters {
    let c = this.counters.get(pipeline);
    if (!c) {
      c = { in: 0, out: 0, deadLettered: 0, retries: 0 };
      this.counters.set(pipeline, c);
    }
    return c;
  }

  snapshot(): Record<string, PipelineCounters> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { ...v }]));
  }

  totals(): PipelineCounters {
    const t: PipelineCounters = { in: 0, out: 0, deadLettered: 0, retries: 0 };
    for (const c of this.counters.values()) {
      t.in += c.in;
      t.out += c.out;
      t.deadLettered += c.deadLettered;
      t.retries += c.retries;
    }
    return t;
  }
}
