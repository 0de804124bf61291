// The conformance suite for sources. A poll source: events come out well-formed; the checkpoint survives a
// JSON round trip (it is stored as JSON with the events); a new instance started from a stored checkpoint goes
// on where the last one stopped, so across restarts every record is read exactly once. A listen source: the
// events it emits are well-formed and `listen` ends when the shutdown signal is aborted.
import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../core/event.js';
import {
  type EmitOptions,
  isPollSource,
  type PluginContext,
  type PollSource,
  type SourceInstance,
  type SourcePlugin,
} from '../../core/plugin.js';
import { canonicalText } from './plain-value.js';
import { testPluginContext } from './plugin-context.js';
import { expectCompleteDeclaration } from './plugin-declaration.js';

export interface SourceConformanceOptions {
  plugin: SourcePlugin;
  /** The config as written in YAML (without `type`); parsed with `plugin.config`. */
  config: Record<string, unknown>;
  /**
   * Puts `count` records where the source reads them (files in a folder, rows in a table) and returns the
   * values the source must turn them into. Omit it for a source that makes its own events; then `expected`
   * gives them.
   */
  produce?: (count: number) => Promise<unknown[]>;
  /** The values a self-producing source gives with this config, in any order. */
  expected?: unknown[];
  /** Empties the place the source reads from before each check. */
  reset?: () => Promise<void>;
  /** Records produced per check (default 50). */
  count?: number;
  /** Polls before giving up on a source that never delivers what it should (default 200). */
  maxPolls?: number;
  /** For a listen source: sends the produced records to it (posts to its port, say) once it listens. */
  send?: (values: unknown[]) => Promise<void>;
  context?: Partial<PluginContext>;
  title?: string;
}

const SLOW_TEST_TIMEOUT_MS = 120_000;

function expectWellFormed(events: readonly SluiceEvent[]): void {
  for (const e of events) {
    expect(e.key === null || typeof e.key === 'string').toBe(true);
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(e.headers !== null && typeof e.headers === 'object').toBe(true);
    for (const v of Object.values(e.headers)) expect(typeof v).toBe('string');
  }
}

const sorted = (values: unknown[]) => values.map((v) => canonicalText(v)).sort();

async function createSource(options: SourceConformanceOptions, signal?: AbortSignal): Promise<SourceInstance> {
  const { plugin, config, context = {} } = options;
  const ctx = testPluginContext({ component: 'source', ...(signal ? { signal } : {}), ...context });
  return plugin.create(plugin.config.parse(config), ctx);
}

/** Polls until `want` events came or the source is done; the checkpoint goes through JSON like a stored one. */
async function pollUntil(
  source: PollSource,
  checkpoint: unknown,
  want: number,
  maxPolls: number,
): Promise<{ events: SluiceEvent[]; checkpoint: unknown; done: boolean }> {
  const events: SluiceEvent[] = [];
  let done = false;
  for (let i = 0; i < maxPolls && events.length < want && !done; i++) {
    const result = await source.poll(checkpoint);
    expectWellFormed(result.events);
    events.push(...result.events);
    checkpoint = result.checkpoint === undefined ? undefined : JSON.parse(JSON.stringify(result.checkpoint));
    done = result.done === true;
    if (result.events.length === 0 && !result.hasMore && !done) {
      await new Promise((r) => setTimeout(r, Math.min(source.intervalMs, 200)));
    }
  }
  return { events, checkpoint, done };
}

export function describeSourceConformance(options: SourceConformanceOptions): void {
  const { plugin, config, produce, reset, count = 50, maxPolls = 200 } = options;
  const title = options.title ?? `source ${plugin.name} ${JSON.stringify(config)}`;
  const expectedValues = async (): Promise<unknown[]> => {
    if (produce) return produce(count);
    if (options.expected) return options.expected;
    throw new Error('give the suite produce() or expected');
  };

  describe(title, () => {
    it('declares a name, a summary and a description for every config field', () => {
      expectCompleteDeclaration(plugin, 'source', config);
    });

    it(
      'reads every record exactly once across a restart from the stored checkpoint',
      async () => {
        await reset?.();
        const expected = await expectedValues();
        const first = await createSource(options);
        if (!isPollSource(first)) {
          await first.close?.();
          return expect(options.send, 'a listen source needs send() to be tested').toBeDefined();
        }
        const half = Math.max(1, Math.floor(expected.length / 2));
        const before = await pollUntil(first, undefined, half, maxPolls);
        await first.close?.();
        const second = (await createSource(options)) as PollSource;
        const after = await pollUntil(second, before.checkpoint, expected.length - before.events.length, maxPolls);
        // Nothing more arrives once everything was read.
        const extra = before.done || after.done ? [] : (await second.poll(after.checkpoint)).events;
        await second.close?.();
        const read = [...before.events, ...after.events, ...extra].map((e) => e.value);
        expect(sorted(read)).toEqual(sorted(expected));
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    if (options.send) {
      it(
        'emits well-formed events for what it receives, and stops listening on shutdown',
        async () => {
          await reset?.();
          const expected = await expectedValues();
          const stop = new AbortController();
          const source = await createSource(options, stop.signal);
          if (isPollSource(source)) throw new Error('send() is for listen sources');
          const received: SluiceEvent[] = [];
          const emit = async (events: SluiceEvent[], _options?: EmitOptions) => {
            expectWellFormed(events);
            received.push(...events);
            return { ids: events.map((_, i) => `0-${Date.now()}-${i}`), duplicate: false };
          };
          const listening = source.listen(emit);
          await options.send!(expected);
          stop.abort();
          await source.close?.();
          await listening;
          expect(sorted(received.map((e) => e.value))).toEqual(sorted(expected));
        },
        SLOW_TEST_TIMEOUT_MS,
      );
    }
  });
}
