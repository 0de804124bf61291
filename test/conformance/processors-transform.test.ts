// The transform and validate processors against the processor conformance suite.
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { SluiceEvent } from '../../core/event.js';
import type { ProcessResult } from '../../core/plugin.js';
import { ROUTE_HEADER } from '../../core/plugin.js';
import dedupe from '../../plugins/transform/dedupe.js';
import filter from '../../plugins/transform/filter.js';
import fn from '../../plugins/transform/function.js';
import map from '../../plugins/transform/map.js';
import route from '../../plugins/transform/route.js';
import sample from '../../plugins/transform/sample.js';
import set from '../../plugins/transform/set.js';
import split from '../../plugins/transform/split.js';
import throttle from '../../plugins/transform/throttle.js';
import jsonSchema from '../../plugins/validate/json-schema.js';
import { eventArbitrary } from './event-arbitrary.js';
import { describeProcessorConformance } from './processor.js';

const functionModules = fileURLToPath(new URL('../unit/plugins/transform/function-modules/', import.meta.url));

/** Every input event is accounted for: passed on (possibly changed), dropped, or rejected. */
const noMoreThanIn = (input: readonly SluiceEvent[], result: ProcessResult) => {
  expect(result.events.length + (result.rejected?.length ?? 0)).toBeLessThanOrEqual(input.length);
};

/** Output events are input events, in their order. */
const subsequenceOfInput = (input: readonly SluiceEvent[], result: ProcessResult) => {
  noMoreThanIn(input, result);
  let at = 0;
  for (const e of result.events) {
    while (at < input.length && input[at] !== e) at++;
    expect(at, 'an output event that is not an input event, or out of order').toBeLessThan(input.length);
    at++;
  }
};

const readings = eventArbitrary({
  value: fc.record({ id: fc.string({ maxLength: 8 }), temp: fc.integer({ min: -40, max: 60 }) }),
});

describeProcessorConformance({
  plugin: map,
  config: { expression: '{ "reading": value, "car": key, "at": ts }' },
  property: (input, result) => {
    expect(result.events.length + (result.rejected?.length ?? 0)).toBe(input.length);
    expect(result.rejected ?? []).toEqual([]);
  },
});
describeProcessorConformance({
  plugin: map,
  config: { expression: 'value.temp * 2' },
  eventCount: 2_000,
  property: noMoreThanIn,
});
describeProcessorConformance({ plugin: filter, config: { where: 'value.temp > 30' }, property: subsequenceOfInput });
describeProcessorConformance({
  plugin: filter,
  config: { where: 'value.temp > 30' },
  title: 'processor filter over readings',
  eventCount: 2_000,
  events: readings,
  property: (input, result) => {
    expect(result.events).toEqual(input.filter((e) => (e.value as { temp: number }).temp > 30));
  },
});
describeProcessorConformance({
  plugin: set,
  config: { key: 'value.id', ts: 'value.temp', headers: { car: 'key', region: 'value.region' } },
  events: readings,
  property: (input, result) => {
    expect(result.rejected ?? []).toEqual([]);
    expect(result.events.map((e) => e.key)).toEqual(input.map((e) => (e.value as { id: string }).id));
  },
});
describeProcessorConformance({
  plugin: set,
  config: { key: 'value.id', ts: 'value.time' },
  eventCount: 2_000,
  property: noMoreThanIn,
});
describeProcessorConformance({ plugin: split, config: { indexHeader: 'part' } });
describeProcessorConformance({
  plugin: route,
  config: { routes: [{ name: 'hot', when: 'value.temp > 30' }], default: 'other' },
  events: readings,
  property: (input, result) => {
    expect(result.events.map((e) => e.headers[ROUTE_HEADER])).toEqual(
      input.map((e) => ((e.value as { temp: number }).temp > 30 ? 'hot' : 'other')),
    );
  },
});
describeProcessorConformance({
  plugin: route,
  config: { routes: [{ name: 'keyed', when: 'key != null' }] },
  eventCount: 2_000,
  property: (input, result) => {
    expect(result.events.map((e) => e.headers[ROUTE_HEADER])).toEqual(
      input.filter((e) => e.key !== null).map(() => 'keyed'),
    );
  },
});
describeProcessorConformance({
  plugin: dedupe,
  config: { by: 'key', window: '1m', whenMissing: 'keep' },
  property: subsequenceOfInput,
});
describeProcessorConformance({
  plugin: dedupe,
  config: { by: 'value', window: 1000 },
  eventCount: 2_000,
  property: subsequenceOfInput,
});
describeProcessorConformance({ plugin: sample, config: { rate: 0.5 }, property: subsequenceOfInput });
describeProcessorConformance({
  plugin: sample,
  config: { rate: 0.5, by: 'key' },
  eventCount: 2_000,
  property: subsequenceOfInput,
});
describeProcessorConformance({
  plugin: throttle,
  config: { limit: 1_000_000, per: '1s' },
  property: (input, result) => expect(result.events).toEqual(input),
});
describeProcessorConformance({
  plugin: throttle,
  config: { limit: 50, mode: 'drop' },
  eventCount: 2_000,
  property: subsequenceOfInput,
});
describeProcessorConformance({
  plugin: fn,
  config: { module: './per-event.ts' },
  context: { baseDir: functionModules },
});
describeProcessorConformance({
  plugin: fn,
  config: { module: './per-batch.ts' },
  eventCount: 2_000,
  context: { baseDir: functionModules },
  property: subsequenceOfInput,
});
describeProcessorConformance({
  plugin: jsonSchema,
  config: {
    schema: {
      type: 'object',
      required: ['id', 'temp'],
      properties: { id: { type: 'string' }, temp: { type: 'integer', minimum: -40, maximum: 60 } },
    },
  },
  events: readings,
  property: (input, result) => expect(result.events).toEqual(input),
  malformed: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.uint8Array(),
    fc.constant(null),
    fc.record({ id: fc.integer(), temp: fc.integer() }),
    fc.record({ id: fc.string(), temp: fc.integer({ min: 61 }) }),
    fc.record({ id: fc.string() }),
  ),
});
