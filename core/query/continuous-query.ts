// A continuous query: SQL evaluated once per closed event-time window of an input topic, its rows stored as
// events on an output topic. Progress (the position read in each partition, each partition's highest event
// time, the next window to close, the late count) is the output topic's source checkpoint, written in the same
// atomic append as a window's rows: a window is emitted once however often the evaluator restarts, and an
// idempotency key per window makes a second evaluator (a lease overlap) a no-op. One evaluator runs per query
// across a fleet (the queue's exclusive loop). A window closes when the watermark, the lowest of the
// partitions' highest event times less the grace period, passes its end; partitions that never held an event
// do not hold the watermark back. Events for a window already closed are late: counted, and dead-lettered
// with the reason.

import { ConfigError, RecordError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type { Logger } from '../plugin.js';
import { deadLetter } from '../runtime/dead-letter.js';
import type { Storage, StoredEvent } from '../storage/storage.js';
import { firstWindowStart, missedAWindow, type WindowSpec } from './event-time-windows.js';
import { DEFAULT_CLOCK_SKEW_MS, queryPages } from './query-engine.js';

export interface ContinuousQuerySpec {
  /** Names the query: its checkpoint, lease and dead letters. */
  name: string;
  input: string;
  output: string;
  sql: string;
  window: WindowSpec;
  graceMs: number;
  deadLetterTopic: string;
  /** How far event times may run ahead of stored times, ms; default one minute. */
  clockSkewMs?: number;
  /** Events read per partition per page, default 2000. */
  pageSize?: number;
}

interface Progress {
  /** Last id read, per partition. */
  positions: Record<string, string>;
  /** Highest event time read, per partition. */
  maxTs: Record<string, number>;
  /** Lowest event time read before the first window closed: where the first window starts. */
  minTs: number | null;
  /** Start of the next window to close; null until the first closes. */
  nextStart: number | null;
  late: number;
}

const EMPTY: Progress = { positions: {}, maxTs: {}, minTs: null, nextStart: null, late: 0 };

export interface TickResult {
  windowsClosed: number;
  rowsEmitted: number;
  lateEvents: number;
}

export class ContinuousQuery {
  private readonly source: string;

  constructor(
    private readonly spec: ContinuousQuerySpec,
    private readonly storage: Storage,
    private readonly logger?: Logger,
  ) {
    this.source = `query:${spec.name}`;
    if (spec.window.sizeMs <= 0 || spec.window.hopMs <= 0 || spec.window.hopMs > spec.window.sizeMs) {
      throw new ConfigError(
        `query "${spec.name}": window size ${spec.window.sizeMs} ms and hop ${spec.window.hopMs} ms do not make windows`,
        { code: 'E_QUERY_WINDOW', details: { hint: 'use a hop above 0 and at most the size' } },
      );
    }
  }

  /** Late events counted so far (stored with the checkpoint, so it survives restarts). */
  async lateCount(): Promise<number> {
    return (await this.progress()).late;
  }

  /** Reads what is new, dead-letters late events, and emits every window the watermark has closed. */
  async tick(signal?: AbortSignal): Promise<TickResult> {
    const progress = await this.progress();
    const partitions = (await this.storage.topicInfo(this.spec.input)).partitions;
    const late = await this.readNew(progress, partitions);
    if (late.length > 0) await this.deadLetter(late, progress.nextStart as number);
    let windowsClosed = 0;
    let rowsEmitted = 0;
    const watermark = this.watermark(progress);
    if (progress.nextStart === null && progress.minTs !== null)
      progress.nextStart = firstWindowStart(progress.minTs, this.spec.window);
    while (
      !signal?.aborted &&
      progress.nextStart !== null &&
      watermark !== undefined &&
      progress.nextStart + this.spec.window.sizeMs <= watermark
    ) {
      const start: number = progress.nextStart;
      const rows = await this.evaluate(start, progress, partitions);
      progress.nextStart = start + this.spec.window.hopMs;
      await this.storage.append(this.spec.output, rows, {
        checkpoint: { source: this.source, value: progress },
        idempotencyKey: `${this.source}:${start}`,
      });
      windowsClosed++;
      rowsEmitted += rows.length;
    }
    if (windowsClosed === 0) {
      await this.storage.append(this.spec.output, [], { checkpoint: { source: this.source, value: progress } });
    }
    return { windowsClosed, rowsEmitted, lateEvents: late.length };
  }

  private async progress(): Promise<Progress> {
    const stored = (await this.storage.getCheckpoint(this.spec.output, this.source)) as Progress | undefined;
    return stored ? structuredClone(stored) : structuredClone(EMPTY);
  }

  /** Reads every partition past its position; returns the events that missed a closed window. */
  private async readNew(progress: Progress, partitions: number): Promise<StoredEvent[]> {
    const late: StoredEvent[] = [];
    const pageSize = this.spec.pageSize ?? 2000;
    for (let p = 0; p < partitions; p++) {
      for (;;) {
        const page = await this.storage.read(this.spec.input, {
          partition: p,
          afterId: progress.positions[p],
          limit: pageSize,
        });
        for (const e of page) {
          progress.maxTs[p] = Math.max(progress.maxTs[p] ?? e.ts, e.ts);
          if (progress.nextStart === null) progress.minTs = Math.min(progress.minTs ?? e.ts, e.ts);
          else if (missedAWindow(e.ts, progress.nextStart, this.spec.window)) late.push(e);
        }
        if (page.length > 0) progress.positions[p] = page[page.length - 1].id;
        if (page.length < pageSize) break;
      }
    }
    progress.late += late.length;
    return late;
  }

  private watermark(progress: Progress): number | undefined {
    const highs = Object.values(progress.maxTs);
    return highs.length === 0 ? undefined : Math.min(...highs) - this.spec.graceMs;
  }

  /** The window's rows as events: the row is the value, with the window's bounds; `key` keys it when present. */
  private async evaluate(start: number, progress: Progress, partitions: number): Promise<SluiceEvent[]> {
    const end = start + this.spec.window.sizeMs;
    const result = await queryPages(this.spec.sql, [this.spec.input], {}, () =>
      this.windowEvents(start, end, progress, partitions),
    );
    const events: SluiceEvent[] = [];
    try {
      for await (const chunk of result.chunks()) {
        for (const row of chunk) {
          const key = row.key === null || row.key === undefined ? null : String(row.key);
          const value = {
            window_start: new Date(start).toISOString(),
            window_end: new Date(end).toISOString(),
            ...row,
          };
          events.push({ key, value, ts: end - 1, headers: { 'sluice-query': this.spec.name } });
        }
      }
    } finally {
      result.close();
    }
    return events;
  }

  /** The events of [start, end) read so far: from the stored time the window can begin, up to each position. */
  private async *windowEvents(
    start: number,
    end: number,
    progress: Progress,
    partitions: number,
  ): AsyncGenerator<StoredEvent[]> {
    const fromTime = start - (this.spec.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS);
    for (let p = 0; p < partitions; p++) {
      const toId = progress.positions[p];
      if (toId === undefined) continue;
      for await (const page of this.storage.scan(this.spec.input, {
        partition: p,
        fromTime,
        toId,
        pageSize: this.spec.pageSize,
      })) {
        yield page.filter((e) => e.ts >= start && e.ts < end);
      }
    }
  }

  private async deadLetter(late: StoredEvent[], nextStart: number): Promise<void> {
    const { name, input, graceMs } = this.spec;
    const events = late.map((e) => {
      const reason = new RecordError(
        `event time ${new Date(e.ts).toISOString()} is past the grace period (${graceMs} ms) of query "${name}": windows starting before ${new Date(nextStart).toISOString()} are closed and emitted`,
        { code: 'E_QUERY_LATE' },
      );
      return deadLetter(e, reason, { pipeline: name, component: `query (${name})`, topic: input });
    });
    // Keyed by the first late id: a retry after a crash stores them once.
    await this.storage.append(this.spec.deadLetterTopic, events, {
      idempotencyKey: `${this.source}:late:${late[0].id}`,
    });
    this.logger?.warn({ query: name, late: late.length }, 'late events dead-lettered');
  }
}
