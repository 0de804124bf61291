// fast-check arbitraries of events and event values, shared by the conformance suites and property tests.
import fc from 'fast-check';
import type { EventValue, SluiceEvent } from '../../core/event.js';

/** Any value `JSON.parse` can return and `JSON.stringify` gives back exactly (so no `-0`). */
export const jsonValueArbitrary: fc.Arbitrary<unknown> = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown);

export const bytesArbitrary: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 512 });

/** Every shape a value can take: JSON values, bytes, and JSON objects with bytes inside. */
export const anyValueArbitrary: fc.Arbitrary<EventValue> = fc.oneof(
  jsonValueArbitrary,
  bytesArbitrary,
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(jsonValueArbitrary, bytesArbitrary), {
    maxKeys: 4,
    noNullPrototype: true,
  }),
);

export const headersArbitrary: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ maxLength: 24 }),
  { maxKeys: 3, noNullPrototype: true },
);

export interface EventArbitraryOptions {
  /** Values to carry (default: {@link anyValueArbitrary}). */
  value?: fc.Arbitrary<EventValue>;
  /** Also generate stored ids (`<partition>-<stream id>`). Default true. */
  withId?: boolean;
}

export function eventArbitrary(options: EventArbitraryOptions = {}): fc.Arbitrary<SluiceEvent> {
  const { value = anyValueArbitrary, withId = true } = options;
  return fc
    .record({
      key: fc.option(fc.string({ maxLength: 24 }), { nil: null }),
      value,
      ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      headers: headersArbitrary,
      id: withId
        ? fc.option(fc.stringMatching(/^\d{1,2}-\d{13}-\d{1,3}$/), { nil: undefined })
        : fc.constant(undefined),
    })
    .map(({ id, ...event }) => (id === undefined ? event : { ...event, id }));
}
