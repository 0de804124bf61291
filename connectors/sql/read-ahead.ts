// The next poll's read, started while the runtime stores this poll's rows: a source with more to read would
// otherwise leave the database idle while the pipeline works and the pipeline idle while the database reads.
// A read ahead is only used by the poll whose checkpoint it was started from (the one this poll returned, once
// the runtime stored it), and only while it is recent; any other poll reads afresh, so what a poll returns is
// always what a read from its own checkpoint gave.
export class ReadAhead<T> {
  private next?: { key: string; startedAt: number; result: Promise<T> };

  /** `maxAgeMs`: a read older than this when its poll comes is dropped (the poll reads again). */
  constructor(
    private readonly maxAgeMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Starts `read` for the poll from checkpoint `key` (its JSON), in place of any read ahead not taken. */
  start(key: string, read: () => Promise<T>): void {
    const result = read();
    // A failure is the poll's to report, if it takes this read; until then it is nobody's.
    result.catch(() => {});
    this.next = { key, startedAt: this.clock(), result };
  }

  /** The read started for checkpoint `key`, if there is a recent one; the read ahead is used up either way. */
  take(key: string): Promise<T> | undefined {
    const next = this.next;
    this.next = undefined;
    if (!next || next.key !== key || this.clock() - next.startedAt > this.maxAgeMs) return undefined;
    return next.result;
  }

  /** Resolves once no read ahead is running (before the connections close). */
  async settle(): Promise<void> {
    const next = this.next;
    this.next = undefined;
    await next?.result.catch(() => {});
  }
}
