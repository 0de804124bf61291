// The `generate` source: synthetic events at a given rate, for quickstarts, demos, tests and benchmarks.
// Its checkpoint is the number of events generated so far, so a restart continues the same stream and
// `count` is a total across restarts.
import { FatalError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { defineSource, type PluginContext, type PollSource, z } from '../../core/plugin.js';
import { PRESETS, padValue, presetEvent } from './presets.js';

export const generateConfig = z.object({
  preset: z
    .enum(PRESETS)
    .default('gps')
    .describe(
      'What to generate. gps: key car_id_N, value [lat, lon]; temperature: key room_N, value degrees Celsius; ' +
        'blood-pressure: key patient_id_N, value [systolic, diastolic], ts up to a minute before ingestion; ' +
        'sequence: key key_N, value {"seq": n} with n = 1, 2, 3 … (to check that every event arrives).',
    ),
  count: z
    .number()
    .int()
    .nonnegative()
    .default(10)
    .describe('Events to generate in total, across restarts; then the source is done. 0 = never stop.'),
  rate: z.number().nonnegative().default(10).describe('Events per second; 0 = as fast as the pipeline stores them.'),
  batchSize: z.number().int().positive().default(100).describe('Most events per poll (stored together).'),
  keys: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('Number of distinct keys (cars, rooms, patients); events go round-robin over them.'),
  payloadBytes: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe(
      'Pad each value to about this many bytes of JSON, for benchmarks: an object gets a "pad" field, ' +
        'anything else becomes {"value": …, "pad": "xxx…"}. 0 = no padding.',
    ),
  seed: z
    .number()
    .int()
    .default(1)
    .describe('The same seed gives the same keys and values (times come from the clock); change it for other data.'),
});

export type GenerateConfig = z.output<typeof generateConfig>;

export interface GenerateCheckpoint {
  /** Events generated so far, across restarts. */
  generated: number;
}

/** The source with an injectable clock, for tests of its pacing. */
export function createGenerateSource(
  config: GenerateConfig,
  ctx: PluginContext,
  clock: () => number = Date.now,
): PollSource {
  const limit = config.count === 0 ? Number.POSITIVE_INFINITY : config.count;
  // Pacing is local to this instance: it starts when this instance first polls, and starts again when the
  // checkpoint it is given is not the one it returned last (another worker polled, or a store failed).
  let anchor: { at: number; generated: number } | undefined;
  let lastReturned: number | undefined;

  return {
    intervalMs: config.rate > 0 ? Math.min(1000, Math.max(10, 1000 / config.rate)) : 10,

    async poll(checkpoint) {
      const generated = readCheckpoint(checkpoint, ctx);
      if (generated >= limit) return { events: [], checkpoint: { generated }, done: true };
      const now = clock();
      let due = config.batchSize;
      if (config.rate > 0) {
        if (anchor === undefined || generated !== lastReturned) anchor = { at: now, generated };
        // The first event is due at once, then one every 1/rate seconds.
        due = Math.floor(((now - anchor.at) * config.rate) / 1000) + 1 - (generated - anchor.generated);
      }
      const n = Math.max(0, Math.min(due, config.batchSize, limit - generated));
      const events: SluiceEvent[] = [];
      for (let i = generated; i < generated + n; i++) {
        const e = presetEvent(config, i, now);
        const value = config.payloadBytes > 0 ? padValue(e.value, config.payloadBytes) : e.value;
        events.push({ key: e.key, value, ts: e.ts, headers: {} });
      }
      const next = generated + n;
      lastReturned = next;
      const isDone = next >= limit;
      return {
        events,
        checkpoint: { generated: next } satisfies GenerateCheckpoint,
        hasMore: !isDone && (config.rate === 0 || due > n),
        ...(isDone ? { done: true } : {}),
      };
    },
  };
}

function readCheckpoint(checkpoint: unknown, ctx: PluginContext): number {
  if (checkpoint === undefined || checkpoint === null) return 0;
  const generated = (checkpoint as Partial<GenerateCheckpoint>).generated;
  if (typeof generated === 'number' && Number.isInteger(generated) && generated >= 0) return generated;
  throw new FatalError(
    `generate source ${ctx.component} of pipeline "${ctx.pipeline}": the stored checkpoint ` +
      `${JSON.stringify(checkpoint)} is not {"generated": n}; reset this source's checkpoint to start again`,
    { code: 'E_CHECKPOINT' },
  );
}

export default defineSource({
  name: 'generate',
  summary: 'Generate synthetic events (GPS positions, temperatures, blood pressure, sequence numbers) at a rate.',
  config: generateConfig,
  create: (config, ctx) => createGenerateSource(config, ctx),
});
