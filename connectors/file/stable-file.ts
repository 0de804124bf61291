// When a file is safe to read: its writer has finished. A file counts as stable once it has not changed
// for `stableMs`, judged by its modification time or, where that is coarse or skewed (remote servers),
// by having seen the same size and time across polls for at least `stableMs`.

export interface FileStat {
  name: string;
  size: number;
  mtimeMs: number;
}

export class StableFiles {
  // The first time each file was seen with its current size and time; in memory, per source instance:
  // after a restart a file is at worst read one poll later.
  private readonly seen = new Map<string, { size: number; mtimeMs: number; since: number }>();

  constructor(private readonly stableMs: number) {}

  isStable(file: FileStat, now: number): boolean {
    // Clocks give whole milliseconds, file times fractions of one: compare at the clock's resolution.
    const age = now - Math.floor(file.mtimeMs);
    const last = this.seen.get(file.name);
    if (last === undefined || last.size !== file.size || last.mtimeMs !== file.mtimeMs) {
      this.seen.set(file.name, { size: file.size, mtimeMs: file.mtimeMs, since: now });
      return age >= this.stableMs;
    }
    return age >= this.stableMs || now - last.since >= this.stableMs;
  }

  /** Forgets files that are gone, so the memory follows the folder. */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
  }
}
