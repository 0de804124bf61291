// When an open file of the file sink is finished (renamed to its final name) and a new one started: pure
// decisions over a file's counts and clock readings, so the writer that does the I/O stays a sequence of steps.
// Invariants: a batch is never split across files; a file with events never takes a batch that would carry it
// past maxEvents or maxBytes (a single batch larger than a limit gets a file of its own); a file is due once it
// is maxAgeMs old, whether or not more events come.
import { MAX_TIMER_MS, z } from '../../core/plugin.js';

export const ROLL_DEFAULTS = { maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 } as const;

export const rollSchema = z
  .object({
    maxEvents: z
      .number()
      .int()
      .min(1)
      .default(ROLL_DEFAULTS.maxEvents)
      .describe('Finish a file before it would hold more than this many events.'),
    maxBytes: z
      .number()
      .int()
      .min(1)
      .default(ROLL_DEFAULTS.maxBytes)
      .describe('Finish a file before it would grow past this many bytes (as stored: compressed when gzip).'),
    maxAgeMs: z
      .number()
      .int()
      .min(100)
      .max(MAX_TIMER_MS)
      .default(ROLL_DEFAULTS.maxAgeMs)
      .describe('Finish a file this long after its first event, even when no more events come.'),
  })
  .optional()
  .describe(
    'Collect many batches in one file per partition instead of one file per batch: each batch is appended to a ' +
      'hidden open file (and stored before it is acknowledged), which gets its final name once a limit is ' +
      'reached, when it is maxAgeMs old, or when the pipeline stops. `roll: {}` uses the defaults (100000 ' +
      'events, 64 MiB, 60 s). Needs a file system that can append (not scp).',
  );

export type RollLimits = NonNullable<z.output<typeof rollSchema>>;

/** What the policy needs to know of an open file. */
export interface OpenFileCounts {
  events: number;
  bytes: number;
  /** When the file was started (its first batch stored), ms since the epoch. */
  openedAt: number;
}

export type RollReason = 'events' | 'bytes' | 'age';

export class RollPolicy {
  constructor(private readonly limits: RollLimits) {}

  /** Why `file` must be finished before a batch of `events` events and `bytes` bytes is added, if it must. */
  beforeAdding(file: OpenFileCounts, events: number, bytes: number, now: number): RollReason | undefined {
    if (file.events === 0) return undefined;
    if (this.isOld(file, now)) return 'age';
    if (file.events + events > this.limits.maxEvents) return 'events';
    if (file.bytes + bytes > this.limits.maxBytes) return 'bytes';
    return undefined;
  }

  /** Why `file` is finished now (after a batch, or on the timer), if it is. */
  afterAdding(file: OpenFileCounts, now: number): RollReason | undefined {
    if (file.events === 0) return undefined;
    if (file.events >= this.limits.maxEvents) return 'events';
    if (file.bytes >= this.limits.maxBytes) return 'bytes';
    if (this.isOld(file, now)) return 'age';
    return undefined;
  }

  /** When `file` becomes due by age, for the timer. */
  dueAt(file: OpenFileCounts): number {
    return file.openedAt + this.limits.maxAgeMs;
  }

  /**
   * True when `file` belongs to no live sink: its owner would have finished it by now. The margin covers a slow
   * finish and clocks of different hosts that disagree by up to a minute.
   */
  isAbandoned(file: OpenFileCounts, now: number): boolean {
    return now > this.dueAt(file) + Math.max(60_000, this.limits.maxAgeMs);
  }

  private isOld(file: OpenFileCounts, now: number): boolean {
    return now >= this.dueAt(file);
  }
}
