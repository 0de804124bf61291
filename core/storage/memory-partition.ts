// One partition of an in-memory topic: events in stream-id order, with Redis-style ids `<ms>-<seq>` that only
// grow, and the waiters of blocking claims. Ids sit in parallel number arrays so that every lookup is a binary
// search; trimming moves a head index and compacts now and then, so neither append nor trim copies the log.
// Indexes are absolute and move when the log compacts: callers keep ids, never indexes, across calls.
//
// The log holds the events as they were appended; each read makes the stored event (with its id) afresh. What a
// topic keeps lives until retention drops it, long enough to reach V8's old generation, so keeping one object per
// event there instead of three (the event, its stored copy, its id text) leaves the collector less to copy; the
// copies a read makes die young, once delivered.

import type { SluiceEvent } from '../event.js';
import type { StoredEvent } from './storage.js';

/** A stream id as numbers; `[0, 0]` is "before everything", as in Redis. */
export type StreamPosition = readonly [ms: number, seq: number];

export const ORIGIN: StreamPosition = [0, 0];

/** The event id (`<partition>-<ms>-<seq>`) of a position in partition `partition`. */
export const idOf = (partition: number, ms: number, seq: number): string => `${partition}-${ms}-${seq}`;

export function parseStreamId(streamId: string): StreamPosition {
  const dash = streamId.indexOf('-');
  return [Number(streamId.slice(0, dash)), Number(streamId.slice(dash + 1))];
}

// Compacting only once the dead prefix is large and at least half the array keeps trimming amortised O(1).
const COMPACT_AFTER = 4096;

export class MemoryPartition {
  private ms: number[] = [];
  private seq: number[] = [];
  private events: SluiceEvent[] = [];
  private head = 0;
  /** The last id handed out, even if its event was trimmed since (what Redis calls the stream's last id). */
  lastMs = 0;
  lastSeq = 0;
  private waiters = new Set<() => void>();

  constructor(readonly index: number) {}

  get length(): number {
    return this.events.length - this.head;
  }

  /**
   * Stores `event` at the next id for an event stored `now` (ids never go backwards, even if the clock does) and
   * returns that id (`<partition>-<ms>-<seq>`).
   */
  append(event: SluiceEvent, now: number): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    this.ms.push(this.lastMs);
    this.seq.push(this.lastSeq);
    this.events.push(event);
    return idOf(this.index, this.lastMs, this.lastSeq);
  }

  /** Index (absolute) of the first stored event at or after `position`. */
  lowerBound(position: StreamPosition): number {
    return this.search(position, false);
  }

  /** Index (absolute) of the first stored event strictly after `position`. */
  upperBound(position: StreamPosition): number {
    return this.search(position, true);
  }

  private search([ms, seq]: StreamPosition, strictlyAfter: boolean): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.ms[mid];
      const before = m < ms || (m === ms && (strictlyAfter ? this.seq[mid] <= seq : this.seq[mid] < seq));
      if (before) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get start(): number {
    return this.head;
  }

  get end(): number {
    return this.events.length;
  }

  at(index: number): StoredEvent {
    const e = this.events[index];
    return {
      key: e.key,
      value: e.value === undefined ? null : e.value,
      ts: e.ts,
      headers: e.headers,
      id: this.idAt(index),
      partition: this.index,
    };
  }

  /** The id of the event at absolute index `index`. */
  idAt(index: number): string {
    return idOf(this.index, this.ms[index], this.seq[index]);
  }

  positionAt(index: number): StreamPosition {
    return [this.ms[index], this.seq[index]];
  }

  slice(from: number, to: number): StoredEvent[] {
    const out = new Array<StoredEvent>(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.at(i);
    return out;
  }

  /** Drops every event before absolute index `index`. */
  dropBefore(index: number): void {
    if (index <= this.head) return;
    for (let i = this.head; i < index; i++) this.events[i] = undefined as unknown as SluiceEvent;
    this.head = index;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.events.length) this.compact();
  }

  private compact(): void {
    this.ms = this.ms.slice(this.head);
    this.seq = this.seq.slice(this.head);
    this.events = this.events.slice(this.head);
    this.head = 0;
  }

  /** Resolves once an event is appended (see `wake`) or after `ms`, whichever comes first. */
  waitForAppend(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wake(): void {
    if (this.waiters.size === 0) return;
    for (const done of [...this.waiters]) done();
  }
}
