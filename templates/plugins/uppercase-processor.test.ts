// The processor's own test: the conformance suite every processor passes (input never changed, well-formed
// output, bad records rejected as record errors, never a crash).
import fc from 'fast-check';
import { describeProcessorConformance, eventArbitrary } from 'sluice/testing';
import { expect } from 'vitest';
import uppercase from './uppercase-processor.js';

describeProcessorConformance({
  plugin: uppercase,
  config: { field: 'name' },
  events: eventArbitrary({ value: fc.record({ name: fc.string(), n: fc.integer() }) }),
  malformed: fc.oneof(fc.integer(), fc.constant(null), fc.record({ n: fc.integer() })),
  property: (input, result) => {
    expect(result.events.map((e) => (e.value as { name: string }).name)).toEqual(
      input.map((e) => (e.value as { name: string }).name.toUpperCase()),
    );
  },
});
