// The console's dead-letter view against a running fleet on the machine's Redis: an order the receiver refuses is
// dead-lettered; once the receiver takes it again, a redrive delivers it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleFleet } from '../harness/console-fleet.js';
import { waitFor } from '../harness/fleet.js';

interface Letter {
  topic: string;
  id: string;
  value: { id: string };
  state: string;
  error: { code: string; kind: string; reason: string };
  origin: { pipeline: string; subscription: string };
}

let fleet: ConsoleFleet;

beforeAll(async () => {
  fleet = await ConsoleFleet.start({ console: false });
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

describe('the console fleet', () => {
  it('dead-letters an order the receiver refuses, and a redrive delivers it once the receiver takes it', async () => {
    fleet.receiver.refuse('api-2');
    await fleet.send([{ id: 'api-1' }, { id: 'api-2' }, { id: 'api-3' }]);
    await waitFor(() => fleet.receiver.has('api-1') && fleet.receiver.has('api-3'), 60_000, 'the accepted orders');
    let letters: Letter[] = [];
    await waitFor(
      async () => {
        letters = await fleet.api<Letter[]>('/api/dead-letters?pipeline=orders');
        return letters.length > 0;
      },
      60_000,
      'the refused order in the dead letters',
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      topic: fleet.deadLetterTopic,
      value: { id: 'api-2' },
      state: 'dead',
      error: { code: 'E_HTTP_STATUS', kind: 'record' },
      origin: { pipeline: 'orders', subscription: 'orders.receiver' },
    });
    expect(letters[0].error.reason).toContain('order api-2 has no customer');
    expect(fleet.receiver.has('api-2')).toBe(false);

    fleet.receiver.accept('api-2');
    const redriven = await fleet.api<{ redriven: unknown[] }>('/api/dead-letters/redrive', { ids: [letters[0].id] });
    expect(redriven.redriven).toHaveLength(1);
    await waitFor(() => fleet.receiver.has('api-2'), 60_000, 'the redriven order at the receiver');
    const after = await fleet.api<Letter[]>(`/api/dead-letters?ids=${letters[0].id}&state=all`);
    expect(after[0].state).toBe('redriven');
  }, 180_000);
});
