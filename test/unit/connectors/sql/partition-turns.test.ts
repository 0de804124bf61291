import { describe, expect, it } from 'vitest';
import { PartitionTurns } from '../../../../connectors/sql/partition-turns.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('sql sink partition turns', () => {
  it('runs batches of one partition one after another, in the order they came, and others at once', async () => {
    const turns = new PartitionTurns();
    const log: string[] = [];
    const first = gate();
    const a = turns.run([0], async () => {
      log.push('a starts');
      await first.opened;
      log.push('a ends');
    });
    const b = turns.run([0, 1], async () => {
      log.push('b runs');
    });
    const c = turns.run([2], async () => {
      log.push('c runs');
    });
    await c;
    expect(log).toEqual(['a starts', 'c runs']);
    first.open();
    await Promise.all([a, b]);
    expect(log).toEqual(['a starts', 'c runs', 'a ends', 'b runs']);
  });

  it('lets the next batch of a partition run after one that failed', async () => {
    const turns = new PartitionTurns();
    await expect(turns.run([0], async () => Promise.reject(new Error('database down')))).rejects.toThrow('down');
    await expect(turns.run([0], async () => 'written')).resolves.toBe('written');
  });
});
