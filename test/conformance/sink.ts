// The conformance suite for sinks, for any destination: random batches written through the sink come back,
// each once, when read from the destination; the sink never changes its input; an empty batch writes
// nothing; a failure is a Sluice error with a kind (the runtime decides on the kind); close settles.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventValue, SluiceEvent } from '../../core/event.js';
import type { PluginContext, SinkInstance, SinkPlugin } from '../../core/plugin.js';
import { deepFreeze } from './deep-freeze.js';
import { eventArbitrary, jsonValueArbitrary } from './event-arbitrary.js';
import { canonicalText } from './plain-value.js';
import { testPluginContext } from './plugin-context.js';
import { expectCompleteDeclaration } from './plugin-declaration.js';

/** What the destination holds for one written event. */
export interface WrittenRecord {
  key?: string | null;
  value: EventValue;
}

export interface SinkConformanceOptions {
  plugin: SinkPlugin;
  /** The config as written in YAML (without `type`); parsed with `plugin.config`. */
  config: Record<string, unknown>;
  /** Reads back everything the destination holds, in any order. */
  readBack: () => Promise<WrittenRecord[]>;
  /** Empties the destination before each check that reads it back. */
  reset?: () => Promise<void>;
  /** Events the destination can hold (default: JSON values with string keys). */
  events?: fc.Arbitrary<SluiceEvent>;
  /** Compare keys as well as values (default true; false for destinations that do not keep keys). */
  keepsKeys?: boolean;
  /** Random batches written (default 20) of `batchSize` events (default 50). */
  batches?: number;
  batchSize?: number;
  /**
   * A config whose destination cannot be reached (a closed port, say): `write` must then settle with a
   * retryable or fatal Sluice error, so the runtime retries or stops instead of hanging or crashing.
   */
  unreachableConfig?: Record<string, unknown>;
  /** Context fields for `create`. */
  context?: Partial<PluginContext>;
  title?: string;
}

const SLOW_TEST_TIMEOUT_MS = 120_000;

let nextId = 0;
const defaultEvents = eventArbitrary({ value: jsonValueArbitrary as fc.Arbitrary<EventValue>, withId: false }).map(
  (e): SluiceEvent => ({ ...e, id: `0-${1_700_000_000_000 + nextId++}-0` }),
);

function recordText(r: WrittenRecord, keepsKeys: boolean): string {
  return canonicalText(keepsKeys ? { key: r.key ?? null, value: r.value } : { value: r.value });
}

async function createSink(options: SinkConformanceOptions): Promise<SinkInstance> {
  const { plugin, config, context = {} } = options;
  return plugin.create(plugin.config.parse(config), testPluginContext({ component: 'sinks[0]', ...context }));
}

export function describeSinkConformance(options: SinkConformanceOptions): void {
  const { plugin, config, readBack, reset, keepsKeys = true, batches = 20, batchSize = 50 } = options;
  const events = options.events ?? defaultEvents;
  const title = options.title ?? `sink ${plugin.name} ${JSON.stringify(config)}`;

  describe(title, () => {
    it('declares a name, a summary and a description for every config field', () => {
      expectCompleteDeclaration(plugin, 'sink', config);
    });

    it(
      `writes ${batches} random batches of ${batchSize} events: each is at the destination once, input unchanged`,
      async () => {
        await reset?.();
        const sink = await createSink(options);
        const written: SluiceEvent[] = [];
        try {
          const sample = fc.sample(fc.array(events, { minLength: batchSize, maxLength: batchSize }), batches);
          for (const batch of sample) {
            const frozen = deepFreeze(batch);
            const result = await sink.write(batch);
            frozen.assertBytesUnchanged();
            expect(result?.rejected ?? []).toEqual([]);
            written.push(...batch);
          }
        } finally {
          await sink.close?.();
        }
        const expected = written.map((e) => recordText(e, keepsKeys)).sort();
        const actual = (await readBack()).map((r) => recordText(r, keepsKeys)).sort();
        expect(actual.length).toBe(expected.length);
        expect(actual).toEqual(expected);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it('writes nothing for an empty batch, and closes cleanly', async () => {
      await reset?.();
      const sink = await createSink(options);
      await sink.write([]);
      await sink.close?.();
      expect(await readBack()).toEqual([]);
    });

    if (options.unreachableConfig) {
      it('settles with a retryable or fatal Sluice error when the destination cannot be reached', async () => {
        const sink = await createSink({ ...options, config: options.unreachableConfig! });
        try {
          const event: SluiceEvent = { key: 'k', value: { n: 1 }, ts: 1_700_000_000_000, headers: {}, id: '0-1-0' };
          const failure = await Promise.resolve(sink.write([event])).then(
            () => undefined,
            (err: unknown) => err,
          );
          expect(failure, 'write succeeded although the destination cannot be reached').toBeDefined();
          expect(['retryable', 'fatal']).toContain((failure as { kind?: string }).kind);
          expect((failure as Error).message.length).toBeGreaterThan(0);
        } finally {
          await sink.close?.();
        }
      });
    }
  });
}
