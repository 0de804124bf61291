// Decoders for topics stored encoded (`topics.<name>.decode`): the same processor plugins as pipelines, created
// once per command or endpoint. An event a decoder rejects cannot be shown as data; it is left out of the
// table (a query writes nothing, so it is not dead-lettered) and counted in the query's stats.
import { dirname } from 'node:path';
import type { ComponentSpec } from '../config/pipeline-spec.js';
import type { Logger, ProcessorPlugin } from '../plugin.js';
import { ProcessorChain } from '../runtime/chain.js';
import { detachedPluginMetrics } from '../runtime/plugin-metrics.js';
import type { Storage, StoredEvent } from '../storage/storage.js';
import type { ValueDecoder } from './query-engine.js';

export interface QueryDecoders {
  decoders: Map<string, ValueDecoder>;
  close(): Promise<void>;
}

export async function createQueryDecoders(
  specs: ReadonlyMap<string, ComponentSpec<ProcessorPlugin>[]>,
  storage: Storage,
  logger: Logger,
  signal: AbortSignal,
): Promise<QueryDecoders> {
  const chains: ProcessorChain[] = [];
  const decoders = new Map<string, ValueDecoder>();
  for (const [topic, components] of specs) {
    const steps = [];
    for (const c of components) {
      const context = {
        pipeline: `query:${topic}`,
        component: c.label,
        logger,
        signal,
        state: storage.state(`query:${topic}:${c.label}`),
        mode: storage.kind === 'memory' ? ('embedded' as const) : ('fleet' as const),
        baseDir: dirname(c.file),
        metrics: detachedPluginMetrics({ plugin: c.plugin.name, pipeline: `query:${topic}`, component: c.label }),
      };
      steps.push({ label: c.label, instance: await c.plugin.create(c.config, context) });
    }
    const chain = new ProcessorChain(steps);
    chains.push(chain);
    decoders.set(topic, async (events) => {
      const { events: decoded, rejected } = await chain.run(events);
      return { events: decoded as StoredEvent[], rejected: rejected.length };
    });
  }
  return { decoders, close: async () => void (await Promise.all(chains.map((c) => c.close()))) };
}
