import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../../../core/event.js';
import { ProcessorChain } from '../../../../core/runtime/chain.js';
import type { LiveSink } from '../../../../core/runtime/pipeline-runtime.js';
import { REDRIVE_HEADERS, runSinkChain, stepOf } from '../../../../core/runtime/redrive-delivery.js';

const tag = (name: string) => ({
  label: name,
  instance: {
    process: (batch: SluiceEvent[]) => batch.map((e) => ({ ...e, value: [...(e.value as string[]), name] })),
  },
});

const sink = {
  spec: { subscription: 'p.db' },
  chain: new ProcessorChain([tag('a'), tag('b')]),
  instance: { write: async () => undefined },
} as unknown as LiveSink;

const event = (headers: Record<string, string> = {}): SluiceEvent => ({ key: null, value: [], ts: 0, headers });

describe('a redriven event on its way to a sink', () => {
  it('is delivered by its own sink from the step it failed at, and skipped by every other sink', async () => {
    const { events } = await runSinkChain(sink, [
      event(),
      event({ [REDRIVE_HEADERS.subscription]: 'p.db', [REDRIVE_HEADERS.step]: '1' }),
      event({ [REDRIVE_HEADERS.subscription]: 'p.other', [REDRIVE_HEADERS.step]: '0' }),
      event({ [REDRIVE_HEADERS.subscription]: 'p.db', [REDRIVE_HEADERS.step]: '2' }),
    ]);
    expect(events.map((e) => e.value)).toEqual([['a', 'b'], ['b'], []]);
  });

  it('names the step of a rejecting processor, and the sink itself after them', () => {
    expect(stepOf(sink, 'b')).toBe(1);
    expect(stepOf(sink, 'sinks[0] (sql)')).toBe(2);
  });
});
