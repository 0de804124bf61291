// For the bench children that read one big file with a source: the context they run it in, and the loop that
// polls it as the runtime does until it has nothing more, then prints the count, the times and the peak memory.
import type { Logger, PluginContext, PollSource, StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import type { Measurement } from './scenario.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export const benchSourceContext: PluginContext = {
  pipeline: 'bench',
  component: 'source',
  logger: quiet,
  signal: new AbortController().signal,
  state: {} as StateStore,
  mode: 'embedded',
  baseDir: process.cwd(),
  metrics: detachedPluginMetrics({ plugin: 'bench', pipeline: 'bench', component: 'source' }),
};

/** Prints `@ready`, polls `source` until done, closes it and prints `@result`. */
export async function drainSource(source: PollSource): Promise<void> {
  process.stdout.write('@ready {}\n');
  const startedAt = Date.now();
  let count = 0;
  let checkpoint: unknown;
  for (;;) {
    const r = await source.poll(checkpoint);
    count += r.events.length;
    checkpoint = r.checkpoint;
    if (!r.hasMore) break;
  }
  const lastAt = Date.now();
  await source.close?.();
  process.stdout.write(
    `@result ${JSON.stringify({ count, startedAt, lastAt, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
  );
}

/** What a child printed by `drainSource`, as the scenario's measurement of a file of `lines` lines, `size` bytes. */
export function measurementOfDrain(
  printed: Record<string, unknown>,
  file: { lines: number; size: number },
): Measurement {
  const r = printed as { count: number; startedAt: number; lastAt: number; peakRssBytes: number };
  const seconds = Math.max(0.001, (r.lastAt - r.startedAt) / 1000);
  return {
    eventsPerSec: r.count / seconds,
    mbPerSec: file.size / 1e6 / seconds,
    peakRssBytes: r.peakRssBytes,
    missing: Math.max(0, file.lines - r.count),
  };
}
