// A plugin context for one-off CLI runs of a processor (`eval`): no log output, state kept in memory.
import type { Logger, PluginContext } from '../plugin.js';
import { detachedPluginMetrics } from '../runtime/plugin-metrics.js';
import { MemoryStorage } from '../storage/memory.js';

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function silentContext(pipeline: string, baseDir = process.cwd()): PluginContext {
  return {
    pipeline,
    component: 'processors[0]',
    logger: silentLogger,
    signal: new AbortController().signal,
    state: new MemoryStorage().state(pipeline),
    mode: 'embedded',
    baseDir,
    metrics: detachedPluginMetrics({ plugin: 'eval', pipeline, component: 'processors[0]' }),
  };
}
