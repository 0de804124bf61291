// Scenario 1, embedded: generate → json encode → gzip level 1 → AES-256-GCM → null sink, in one process with
// the in-memory drivers, against a bare loop doing the same work on the same events. Both run in a process of
// their own, timed from inside (the engine's start, the loop's first event), so start-up is not measured.
import { skipReason } from '../harness/availability.js';
import { spawnScript } from '../harness/child.js';
import { sealingProcessors, writePipelineFile } from '../harness/pipeline-file.js';
import {
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
} from '../harness/scenario.js';

const PAYLOAD = 200;
const BATCH = 500;

interface RunResult {
  count: number;
  startedAt: number;
  lastAt: number;
  peakRssBytes: number;
}

function measurement(r: RunResult, expected: number): Measurement {
  const eventsPerSec = r.count / Math.max(0.001, (r.lastAt - r.startedAt) / 1000);
  return {
    eventsPerSec,
    mbPerSec: (eventsPerSec * PAYLOAD) / 1e6,
    peakRssBytes: r.peakRssBytes,
    missing: Math.max(0, expected - r.count),
  };
}

export const embedded: Scenario = {
  name: 'embedded',
  title: '1. Embedded: generate → json → gzip → aes-gcm → null sink',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(['processor:json', 'processor:gzip', 'processor:aes-gcm', 'source:generate']);
    if (skipped) return { ...result, skipped };
    const events = ctx.smoke ? 5_000 : 100_000;
    const file = writePipelineFile(ctx.tmp, 'embedded', {
      pipelines: {
        embedded: {
          source: { type: 'generate', preset: 'gps', count: events, rate: 0, batchSize: BATCH, payloadBytes: PAYLOAD },
          processors: sealingProcessors('encode'),
          topic: 'sealed',
          sinks: [{ type: 'null' }],
        },
      },
    });
    const timeoutMs = ctx.smoke ? 20_000 : 60_000;
    const variants = await repeat(ctx, [
      {
        name: 'sluice',
        description: `Sluice Engine with memory drivers, in a process of its own (${events} events of ${PAYLOAD} B)`,
        async measure() {
          const child = spawnScript(
            'harness/engine-process.ts',
            { file, expect: events, timeoutMs },
            { label: 'embedded', cpuProfileDir: ctx.profileDir },
          );
          return measurement((await child.result(timeoutMs + 10_000)) as unknown as RunResult, events);
        },
      },
      {
        name: 'bare',
        description: 'a bare loop: the same events and the same work with node:zlib and node:crypto',
        async measure() {
          const child = spawnScript(
            'baselines/bare-loop.ts',
            { events, payloadBytes: PAYLOAD, batchSize: BATCH },
            { label: 'bare-loop' },
          );
          return measurement((await child.result(timeoutMs)) as unknown as RunResult, events);
        },
      },
    ]);
    result.notes.push(`generate batchSize ${BATCH}, values padded to ${PAYLOAD} B of JSON; processors inbound`);
    return {
      ...result,
      variants,
      ratios: [
        ratioOf('embedded / bare loop (events/s)', variants, 'sluice', 'bare', 'eventsPerSec', { atLeast: 0.8 }),
      ],
    };
  },
};
