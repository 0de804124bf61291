// For the bench children that read one big file with a source: the context they run it in, and the loop that
// polls it as the runtime does until it has nothing more, appending each poll's events with its checkpoint to
// a topic, then prints the count, the times and the peak memory.
import type { Logger, PluginContext, PollSource, StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import { MemoryStorage } from '../../core/storage/memory.js';
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

const TOPIC = 'lines';

/**
 * Prints `@ready`, polls `source` until done, closes it and prints `@result`. With `intoTopic`, each poll's events
 * go into a topic of the embedded mode's storage with the checkpoint, in one append, as a pipeline stores them;
 * the topic keeps the last 10 000 events of each of its 4 partitions (retention applied after each append).
 * Without it, the events are counted and dropped: what the source alone costs.
 */
export async function drainSource(source: PollSource, intoTopic: boolean): Promise<void> {
  const storage = intoTopic ? new MemoryStorage() : undefined;
  await storage?.ensureTopic({ name: TOPIC, partitions: 4, retention: { maxEvents: 10_000 } });
  process.stdout.write('@ready {}\n');
  const startedAt = Date.now();
  const cpuAtStart = process.cpuUsage();
  let count = 0;
  let checkpoint: unknown;
  for (;;) {
    const r = await source.poll(checkpoint);
    if (storage) {
      await storage.append(TOPIC, r.events, { checkpoint: { source: 'bench', value: r.checkpoint } });
      await storage.trim(TOPIC);
    }
    count += r.events.length;
    checkpoint = r.checkpoint;
    if (!r.hasMore) break;
  }
  const lastAt = Date.now();
  const cpu = process.cpuUsage(cpuAtStart);
  await storage?.close();
  await source.close?.();
  process.stdout.write(
    `@result ${JSON.stringify({
      count,
      startedAt,
      lastAt,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    })}\n`,
  );
}

/** What a child printed by `drainSource`, as the scenario's measurement of a file of `lines` lines, `size` bytes. */
export function measurementOfDrain(
  printed: Record<string, unknown>,
  file: { lines: number; size: number },
): Measurement {
  const r = printed as { count: number; startedAt: number; lastAt: number; cpuSeconds: number; peakRssBytes: number };
  const seconds = Math.max(0.001, (r.lastAt - r.startedAt) / 1000);
  return {
    eventsPerSec: r.count / seconds,
    mbPerSec: file.size / 1e6 / seconds,
    peakRssBytes: r.peakRssBytes,
    cpuUsPerEvent: (r.cpuSeconds * 1e6) / Math.max(1, r.count),
    missing: Math.max(0, file.lines - r.count),
  };
}
