// The metrics of one engine, in a Prometheus registry of its own (never prom-client's global one, so engines and
// tests in one process do not clash), and the plain per-pipeline totals the live status line shows. Labels are
// pipeline, component and sink names and error codes: names the user chose, never config values or secrets.
import { Counter, Histogram, Registry } from 'prom-client';
import { type ErrorKind, toSluiceError } from '../errors.js';
import { type SluiceEvent, sizeOf } from '../event.js';
import type { WorkerEventCounts } from '../queue/worker-registry.js';
import type { StoredEvent } from '../storage/storage.js';
import { unreadJson } from '../stored-json.js';
import { BatchHistogram } from './batch-histogram.js';

export interface PipelineCounters {
  in: number;
  out: number;
  deadLettered: number;
  retries: number;
  /** Last error seen, already redacted, for the status line. */
  lastError?: string;
}

/** Seconds: from a few milliseconds (a local sink) to minutes (a sink that retried with backoff). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const BYTES_HELP = (what: string) =>
  `Bytes of event values ${what} (structured values: their JSON size, estimated from a sample of each batch).`;

export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, PipelineCounters>();
  /** Events accepted per subscription (`pipeline.sink`), for the worker's heartbeat. */
  private readonly outBySubscription = new Map<string, number>();
  private readonly eventsIn = this.counter('sluice_events_in_total', 'Events stored by a source.', ['component']);
  private readonly bytesIn = this.counter('sluice_bytes_in_total', BYTES_HELP('stored by a source'), ['component']);
  private readonly eventsOut = this.counter('sluice_events_out_total', 'Events a sink accepted.', ['sink']);
  private readonly bytesOut = this.counter('sluice_bytes_out_total', BYTES_HELP('a sink accepted'), ['sink']);
  private readonly deadLetters = this.counter(
    'sluice_dead_letters_total',
    'Events sent to the dead-letter topic, by the component that rejected them.',
    ['component'],
  );
  private readonly retryCount = this.counter('sluice_retries_total', 'Delivery batches retried after an error.', [
    'sink',
    'code',
  ]);
  private readonly errorCount = this.counter('sluice_errors_total', 'Errors, by kind and code.', [
    'component',
    'kind',
    'code',
  ]);
  private readonly batchSeconds = new Histogram({
    name: 'sluice_batch_duration_seconds',
    help: "Time to run one delivery batch through the sink's chain and the sink.",
    labelNames: ['pipeline', 'sink'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** Observed once per delivered event, so fed a batch at a time (see BatchHistogram). */
  private readonly endToEndSeconds = new BatchHistogram(
    'sluice_end_to_end_latency_seconds',
    'Time from an event being stored to a sink accepting it.',
    ['pipeline', 'sink'],
    LATENCY_BUCKETS,
    this.registry,
  );

  private counter<L extends string>(name: string, help: string, labels: L[]): Counter<'pipeline' | L> {
    return new Counter({ name, help, labelNames: ['pipeline', ...labels], registers: [this.registry] });
  }

  for(pipeline: string): PipelineCounters {
    let c = this.counters.get(pipeline);
    if (!c) {
      c = { in: 0, out: 0, deadLettered: 0, retries: 0 };
      this.counters.set(pipeline, c);
    }
    return c;
  }

  /** Events stored per pipeline and accepted per subscription since this engine's metrics began. */
  async eventCounts(): Promise<WorkerEventCounts> {
    const latency: Record<string, Record<string, number>> = {};
    for (const v of (await this.endToEndSeconds.get()).values) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const key = `${v.labels.pipeline}.${v.labels.sink}`;
      latency[key] ??= {};
      latency[key][String((v.labels as Record<string, unknown>).le)] = v.value;
    }
    return {
      in: Object.fromEntries([...this.counters].map(([pipeline, c]) => [pipeline, c.in])),
      out: Object.fromEntries(this.outBySubscription),
      latency,
    };
  }

  stored(pipeline: string, component: string, events: readonly SluiceEvent[]): void {
    this.for(pipeline).in += events.length;
    this.eventsIn.inc({ pipeline, component }, events.length);
    this.bytesIn.inc({ pipeline, component }, bytesOf(events));
  }

  /**
   * A sink accepted `accepted` of a batch after `seconds` of work; `stored` is the batch as read from the topic
   * (processors may drop or replace events, and with them the ids that tell when each was stored).
   */
  delivered(
    pipeline: string,
    sink: string,
    batch: { accepted: readonly SluiceEvent[]; stored: readonly StoredEvent[]; seconds: number },
  ): void {
    const { accepted } = batch;
    this.for(pipeline).out += accepted.length;
    const subscription = `${pipeline}.${sink}`;
    this.outBySubscription.set(subscription, (this.outBySubscription.get(subscription) ?? 0) + accepted.length);
    this.eventsOut.inc({ pipeline, sink }, accepted.length);
    this.bytesOut.inc({ pipeline, sink }, bytesOf(accepted));
    this.batchSeconds.observe({ pipeline, sink }, batch.seconds);
    const now = Date.now();
    // One series lookup per batch, not per event: the per-event cost is then reading the id and a bucket search.
    const endToEnd = this.endToEndSeconds.labels({ pipeline, sink });
    for (const e of batch.stored) {
      const stored = storedAt(e.id);
      if (stored >= 0) endToEnd.observe(Math.max(0, now - stored) / 1000);
    }
  }

  deadLettered(pipeline: string, component: string, count: number): void {
    this.for(pipeline).deadLettered += count;
    this.deadLetters.inc({ pipeline, component }, count);
  }

  /** A batch failed and will be tried again; `message` is already redacted. */
  retried(pipeline: string, sink: string, error: unknown, message: string): void {
    const c = this.for(pipeline);
    c.retries++;
    c.lastError = message;
    this.retryCount.inc({ pipeline, sink, code: toSluiceError(error).code });
  }

  failed(pipeline: string, component: string, error: unknown): void {
    const e = toSluiceError(error);
    this.errorCount.inc({ pipeline, component, kind: e.kind satisfies ErrorKind, code: e.code });
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

/** How many structured values of a batch are serialised to estimate the bytes of all of them. */
const SIZE_SAMPLE = 8;

/**
 * Bytes of the batch's values: bytes and text exactly (text by its length, as {@link sizeOf}); structured values
 * by their JSON size, exactly in a batch of up to {@link SIZE_SAMPLE} of them, else estimated from that many
 * picked at random (unbiased, so totals over many batches converge). Serialising every value only to count it
 * cost more than the rest of the metrics together (several µs per event).
 */
function bytesOf(events: readonly SluiceEvent[]): number {
  let n = 0;
  const structured: SluiceEvent[] = [];
  for (const e of events) {
    // A value still in its stored JSON text is counted by it, not parsed to be counted.
    const text = unreadJson(e);
    if (text !== undefined) {
      n += text.length;
      continue;
    }
    const v = e.value;
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'string') n += v.length;
    else structured.push(e);
  }
  if (structured.length <= SIZE_SAMPLE) {
    for (const e of structured) n += sizeOf(e);
    return n;
  }
  let sampled = 0;
  for (let i = 0; i < SIZE_SAMPLE; i++) sampled += sizeOf(structured[Math.floor(Math.random() * structured.length)]);
  return n + Math.round((sampled * structured.length) / SIZE_SAMPLE);
}

/**
 * When an event was stored, ms: the time part of its id (`<partition>-<ms>-<seq>`), or -1 for an id of another
 * shape. Read digit by digit: slicing the part out and converting it allocated a string per delivered event.
 */
function storedAt(id: string): number {
  let i = id.indexOf('-') + 1;
  if (i <= 1) return -1;
  let ms = 0;
  let digits = 0;
  for (let c = id.charCodeAt(i); c >= 48 && c <= 57; c = id.charCodeAt(++i)) {
    ms = ms * 10 + (c - 48);
    digits++;
  }
  return digits > 0 && digits <= 15 && id.charCodeAt(i) === 45 ? ms : -1;
}
