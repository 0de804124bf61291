// Batches of one partition that arrive while an earlier one of it is being written wait here, and the first of
// them to get its turn writes all that are waiting then, together: the dispatcher hands a sink several batches of
// a partition at once (`concurrency`), which the sql sink writes one after the other anyway, so a queue forms
// behind every write. Each batch still gets its own outcome.

/** The outcome of one batch: its result, or the error it failed with. */
export type Settled<R> = { value: R } | { error: unknown };

export class WaitingBatches<T, R> {
  private readonly waiting = new Map<number, Array<{ item: T; settle: (outcome: Settled<R>) => void }>>();

  /**
   * Queues `item` on `partition` and resolves with its outcome. `turn` runs a function in the partition's turn;
   * `writeAll` is given every item waiting when that turn comes, in arrival order, and returns their outcomes.
   */
  async join(
    partition: number,
    item: T,
    turn: (fn: () => Promise<void>) => Promise<void>,
    writeAll: (items: T[]) => Promise<Settled<R>[]>,
  ): Promise<R> {
    const outcome = new Promise<Settled<R>>((settle) => {
      const queue = this.waiting.get(partition) ?? [];
      queue.push({ item, settle });
      this.waiting.set(partition, queue);
    });
    await turn(async () => {
      const group = this.waiting.get(partition) ?? [];
      this.waiting.delete(partition);
      if (group.length === 0) return; // written with an earlier batch's turn
      try {
        const outcomes = await writeAll(group.map((g) => g.item));
        for (const [i, g] of group.entries()) g.settle(outcomes[i]);
      } catch (error) {
        for (const g of group) g.settle({ error });
      }
    });
    const settled = await outcome;
    if ('error' in settled) throw settled.error;
    return settled.value;
  }
}
