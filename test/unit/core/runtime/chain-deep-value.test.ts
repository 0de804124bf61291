import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../../../core/event.js';
import { eachRecordSync, type ProcessorInstance } from '../../../../core/plugin.js';
import { ProcessorChain } from '../../../../core/runtime/chain.js';
import { event } from '../../plugins/run-processor.js';

function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

// A processor that walks values recursively, as user functions and many libraries do.
const depthOf = (value: unknown): number => (Array.isArray(value) ? 1 + Math.max(0, ...value.map(depthOf)) : 0);
const measuring: ProcessorInstance = {
  process: (batch) => eachRecordSync(batch, (e) => ({ ...e, headers: { depth: String(depthOf(e.value)) } })),
};

describe('a value nested too deeply for the stack', () => {
  it('is rejected alone with its reason while the rest of the batch goes on', async () => {
    const chain = new ProcessorChain([{ label: 'measure', instance: measuring }]);
    const batch: SluiceEvent[] = [event([[1]]), event(nestedArrays(200_000)), event([])];
    const { events, rejected } = await chain.run(batch);
    expect(events.map((e) => e.headers.depth)).toEqual(['2', '1']);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].event).toBe(batch[1]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_TOO_DEEP' });
  });

  it('is rejected alone when a processor that works on whole batches overflows on it', async () => {
    const whole: ProcessorInstance = {
      process: (batch) => batch.map((e) => ({ ...e, headers: { depth: String(depthOf(e.value)) } })),
    };
    const chain = new ProcessorChain([{ label: 'whole', instance: whole }]);
    const batch: SluiceEvent[] = [event([[1]]), event(nestedArrays(200_000)), event([])];
    const { events, rejected } = await chain.run(batch);
    expect(events.map((e) => e.headers.depth)).toEqual(['2', '1']);
    expect(rejected.map((r) => [r.event, r.component])).toEqual([[batch[1], 'whole']]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_TOO_DEEP' });
  });
});
