// For the bench children that read one big file with a source: the context they run it in, and the loop that
// polls it as the runtime does until it has nothing more, appending each poll's events with its checkpoint to
// a topic, then prints the count, the times and the peak memory.
import type { Logger, PluginContext, PollSource, StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { RedisStorage } from '../../core/storage/redis.js';
import type { Storage } from '../../core/storage/storage.js';
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

/** Where the polled events go: nowhere, a topic of the embedded mode's storage, or a topic in Redis. */
export type TopicKind = 'none' | 'embedded' | { redis: string; prefix: string };

/**
 * Prints `@ready`, polls `source` until done, closes it and prints `@result`. With a topic, each poll's events go
 * into it with the checkpoint, in one append, as a pipeline stores them; the topic keeps the last 10 000 events of
 * each of its 4 partitions (retention applied after each append). With `none`, the events are counted and
 * dropped: what the source alone costs.
 */
export async function drainSource(source: PollSource, into: TopicKind): Promise<void> {
  const storage: Storage | undefined =
    into === 'none'
      ? undefined
      : into === 'embedded'
        ? new MemoryStorage()
        : await RedisStorage.connect({ url: into.redis, prefix: into.prefix });
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
  await storage?.close();
  await source.close?.();
  printDrained({ count, startedAt, lastAt, cpuAtStart });
}

/** Prints the `@result` line of a bench child that read a file: its count, times, CPU and peak memory. */
export function printDrained(r: {
  count: number;
  startedAt: number;
  lastAt: number;
  cpuAtStart: NodeJS.CpuUsage;
  bytes?: number;
}): void {
  const { cpuAtStart, ...figures } = r;
  const cpu = process.cpuUsage(cpuAtStart);
  process.stdout.write(
    `@result ${JSON.stringify({
      ...figures,
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
