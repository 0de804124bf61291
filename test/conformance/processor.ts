// The conformance suite every processor runs. It builds instances the way a pipeline does (the YAML-shaped
// config parsed by the plugin's own zod schema) and checks the processor contract: every config field is
// described, input is never changed, well-formed events come out, bad records are rejected as record errors
// (never a crash), and, for a processor with an inverse, random events make an exact round trip.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventValue, SluiceEvent } from '../../core/event.js';
import type { PluginContext, ProcessorInstance, ProcessorPlugin, ProcessResult } from '../../core/plugin.js';
import { deepFreeze } from './deep-freeze.js';
import { eventArbitrary } from './event-arbitrary.js';
import { canonicalText, plainValue } from './plain-value.js';
import { testPluginContext } from './plugin-context.js';
import { expectCompleteDeclaration } from './plugin-declaration.js';

export interface ProcessorUnderTest {
  plugin: ProcessorPlugin;
  /** The config as written in YAML (without `type`); parsed with `plugin.config`. */
  config: Record<string, unknown>;
}

export interface ProcessorConformanceOptions extends ProcessorUnderTest {
  /** Names the suite; default: the plugin name and its config. */
  title?: string;
  /** Events the processor accepts (default: any event). The round trip and property checks draw from it. */
  events?: fc.Arbitrary<SluiceEvent>;
  /**
   * The processor that undoes this one: `roundTrip(processor(batch))` must give the batch back. `compare:
   * 'value'` checks only the values (for formats that do not carry keys, timestamps and headers).
   */
  roundTrip?: Partial<ProcessorUnderTest> & Pick<ProcessorUnderTest, 'config'> & { compare?: 'event' | 'value' };
  /** Random events checked (default 10 000), in batches of `batchSize` (default 100). */
  eventCount?: number;
  batchSize?: number;
  /** Values the processor must reject as record errors; at least `malformedCount` (default 250) are tried. */
  malformed?: fc.Arbitrary<EventValue>;
  malformedCount?: number;
  /** Empty values: each goes through without a crash, and comes back exactly when there is a round trip. */
  empty?: EventValue[];
  /** A check on every random batch and its result, for processors without an inverse. */
  property?: (input: readonly SluiceEvent[], result: ProcessResult) => void;
  /** Context fields for `create` (a `baseDir` for schema files, say). */
  context?: Partial<PluginContext>;
}

// Thousands of events per check: generous, so that a busy machine does not fail a correct processor.
const SLOW_TEST_TIMEOUT_MS = 180_000;

const DEFAULT_EMPTY: EventValue[] = ['', new Uint8Array(0), {}, [], null];

/** The result of `process` in its object form. */
export async function runProcessor(instance: ProcessorInstance, batch: readonly SluiceEvent[]): Promise<ProcessResult> {
  const out = await instance.process(batch);
  return Array.isArray(out) ? { events: out } : out;
}

/** An instance built the way a pipeline builds it: the YAML-shaped config parsed by the plugin's schema. */
export async function createProcessor(
  { plugin, config }: ProcessorUnderTest,
  context: Partial<PluginContext> = {},
): Promise<ProcessorInstance> {
  return plugin.create(plugin.config.parse(config), testPluginContext(context));
}

/** Comparable form of an event (or of its value only). */
function comparable(event: SluiceEvent, compare: 'event' | 'value'): unknown {
  if (compare === 'value') return plainValue(event.value);
  return { ...(plainValue(event) as object), headers: { ...event.headers } };
}

/** Asserts that `actual` are the `expected` events; compares canonical texts first, which is much faster. */
function expectSameEvents(
  actual: readonly SluiceEvent[],
  expected: readonly SluiceEvent[],
  compare: 'event' | 'value',
) {
  const text = (e: SluiceEvent) => canonicalText(compare === 'value' ? e.value : e);
  if (actual.length === expected.length && actual.every((e, i) => text(e) === text(expected[i]))) return;
  expect(actual.map((e) => comparable(e, compare))).toEqual(expected.map((e) => comparable(e, compare)));
}

function assertWellFormed(result: ProcessResult): void {
  expect(Array.isArray(result.events)).toBe(true);
  for (const e of result.events) {
    expect(e.key === null || typeof e.key === 'string').toBe(true);
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(e.headers !== null && typeof e.headers === 'object').toBe(true);
    for (const v of Object.values(e.headers)) expect(typeof v).toBe('string');
  }
}

function assertRecordErrors(result: ProcessResult): void {
  for (const r of result.rejected ?? []) {
    expect((r.error as { kind?: string }).kind).toBe('record');
    expect(r.error.message.length).toBeGreaterThan(0);
  }
}

const singleEvent = (value: EventValue): SluiceEvent => ({ key: 'k', value, ts: 1_700_000_000_000, headers: {} });

export function describeProcessorConformance(options: ProcessorConformanceOptions): void {
  const {
    plugin,
    config,
    events = eventArbitrary(),
    roundTrip,
    eventCount = 10_000,
    batchSize = 100,
    malformed,
    malformedCount = 250,
    empty = DEFAULT_EMPTY,
    property,
    context = {},
  } = options;
  const title = options.title ?? `processor ${plugin.name} ${JSON.stringify(config)}`;
  const inverse: ProcessorUnderTest | undefined = roundTrip && {
    plugin: roundTrip.plugin ?? plugin,
    config: roundTrip.config,
  };
  const compare = roundTrip?.compare ?? 'event';

  describe(title, () => {
    it('declares a name, a summary and a description for every config field', () => {
      expectCompleteDeclaration(plugin, 'processor', config);
    });

    it(
      `processes ${eventCount} random events without changing its input and returns well-formed events`,
      async () => {
        const instance = await createProcessor({ plugin, config }, context);
        const back = inverse && (await createProcessor(inverse, context));
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(events, { minLength: batchSize, maxLength: batchSize }), async (batch) => {
              const frozen = deepFreeze(batch);
              const result = await runProcessor(instance, batch);
              frozen.assertBytesUnchanged();
              assertWellFormed(result);
              property?.(batch, result);
              if (!back) return;
              expect(result.rejected ?? []).toEqual([]);
              const frozenOut = deepFreeze(result.events);
              const restored = await runProcessor(back, result.events);
              frozenOut.assertBytesUnchanged();
              expect(restored.rejected ?? []).toEqual([]);
              expectSameEvents(restored.events, batch, compare);
            }),
            { numRuns: Math.ceil(eventCount / batchSize) },
          );
        } finally {
          await instance.close?.();
          await back?.close?.();
        }
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it('handles empty values and an empty batch', async () => {
      const instance = await createProcessor({ plugin, config }, context);
      const back = inverse && (await createProcessor(inverse, context));
      try {
        expect((await runProcessor(instance, [])).events).toEqual([]);
        for (const value of empty) {
          const input = [singleEvent(value)];
          deepFreeze(input);
          const result = await runProcessor(instance, input);
          assertWellFormed(result);
          assertRecordErrors(result);
          if (!back) continue;
          expect(result.rejected ?? [], `empty value ${JSON.stringify(plainValue(value))}`).toEqual([]);
          const restored = await runProcessor(back, result.events);
          expectSameEvents(restored.events, input, compare);
        }
      } finally {
        await instance.close?.();
        await back?.close?.();
      }
    });

    if (malformed) {
      it(
        `rejects ${malformedCount} malformed inputs as record errors and keeps the good records`,
        async () => {
          const instance = await createProcessor({ plugin, config }, context);
          try {
            await fc.assert(
              fc.asyncProperty(malformed, events, async (value, good) => {
                const bad = singleEvent(value);
                deepFreeze(bad);
                const alone = await runProcessor(instance, [bad]);
                expect(alone.events).toEqual([]);
                expect(alone.rejected?.length ?? 0).toBeGreaterThan(0);
                assertRecordErrors(alone);
                const mixed = await runProcessor(instance, [good, bad]);
                const goodOnly = await runProcessor(instance, [good]);
                expect(mixed.events.length).toBe(goodOnly.events.length);
                expect(mixed.rejected?.length ?? 0).toBe((goodOnly.rejected?.length ?? 0) + alone.rejected!.length);
              }),
              { numRuns: malformedCount },
            );
          } finally {
            await instance.close?.();
          }
        },
        SLOW_TEST_TIMEOUT_MS,
      );
    }

    it(
      'never crashes on random bytes or text: a record it cannot process is a record error',
      async () => {
        const instance = await createProcessor({ plugin, config }, context);
        try {
          await fc.assert(
            fc.asyncProperty(
              fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.string({ unit: 'binary', maxLength: 64 })),
              async (value) => {
                const result = await runProcessor(instance, [singleEvent(value)]);
                assertWellFormed(result);
                assertRecordErrors(result);
              },
            ),
            { numRuns: 250 },
          );
        } finally {
          await instance.close?.();
        }
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
