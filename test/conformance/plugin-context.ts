// A minimal PluginContext for tests: a silent logger, a live abort signal, an in-memory state store.
import type { Logger, PluginContext, StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function memoryState(): StateStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) entries.delete(key);
    return entries.get(key);
  };
  const expiry = (ttlMs?: number) => (ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs);
  return {
    async get(key) {
      return live(key)?.value;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: expiry(ttlMs) });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      entries.set(key, { value, expiresAt: expiry(ttlMs) });
      return true;
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}

/** A context for creating plugin instances in tests; `overrides` replaces any field. */
export function testPluginContext(overrides: Partial<PluginContext> = {}): PluginContext {
  const pipeline = overrides.pipeline ?? 'test';
  const component = overrides.component ?? 'processors[0]';
  return {
    pipeline: 'test',
    component: 'processors[0]',
    logger: silentLogger,
    signal: new AbortController().signal,
    state: memoryState(),
    mode: 'embedded',
    baseDir: process.cwd(),
    metrics: detachedPluginMetrics({ plugin: 'test', pipeline, component }),
    ...overrides,
  };
}
