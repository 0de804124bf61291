// Batches of one partition take their turn inside this process before the database's row lock: waiting here
// keeps no connection and no transaction open, and each batch reads the offsets after the one before it
// committed, so it never has to read them again under the lock. A batch registers on all its partitions at
// once, before it waits, so waits follow registration order and cannot form a cycle.
export class PartitionTurns {
  private readonly tails = new Map<number, Promise<void>>();

  async run<T>(partitions: Iterable<number>, fn: () => Promise<T>): Promise<T> {
    const mine = [...partitions];
    const before = mine.map((p) => this.tails.get(p));
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const p of mine) this.tails.set(p, done);
    try {
      await Promise.all(before);
      return await fn();
    } finally {
      release();
      for (const p of mine) if (this.tails.get(p) === done) this.tails.delete(p);
    }
  }
}
