// Metrics after a known run on Redis equal the known counts, read over HTTP from the admin port the way
// Prometheus scrapes them, and the text is valid exposition format.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { type AdminPort, startAdminPort } from '../../core/admin/admin-port.js';
import { openRedisDrivers } from '../../core/cli/redis-drivers.js';
import { loadConfig } from '../../core/config/load.js';
import { defineProcessor, z } from '../../core/plugin.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { waitFor } from '../harness/fleet.js';
import { parsePrometheusText, sumOf } from '../harness/prometheus-text.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { failures, received, resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

const counting = defineProcessor({
  name: 'test-count',
  summary: 'Counts what passes with a metric of its own.',
  config: z.object({}),
  create: (_config, ctx) => {
    const seen = ctx.metrics.counter('seen_events', 'Events this processor saw.');
    return {
      process: (batch) => {
        seen.inc(batch.length);
        return [...batch];
      },
    };
  },
});

let redis: Redis;
const prefix = uniquePrefix('metrics');

beforeAll(async () => {
  redis = await connectTestRedis();
  resetTestPlugins();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('metrics on the admin port', () => {
  it('count what a known run stored, delivered, dead-lettered and retried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-metrics-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  numbers:
    source: { type: test-list, count: 100, batch: 25 }
    processors: [ { type: test-count } ]
    topic: numbers
  evens:
    topic: numbers
    processors: [ { type: test-reject-odd } ]
    sinks:
      - { type: test-record, name: store, id: store, retry: { attempts: 5, baseMs: 10 } }
`,
    );
    failures.set('store', ['retryable']);
    const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins, counting], env: {} });
    const drivers = await openRedisDrivers(
      { url: TEST_REDIS_URL, prefix, cluster: false },
      silentLogger,
      'metrics-test',
    );
    const engine = new Engine({ config, storage: drivers.storage, queue: drivers.queue, logger: silentLogger });
    let admin: AdminPort | undefined;
    try {
      await engine.start();
      admin = await startAdminPort(
        { currentEngine: () => engine, storage: drivers.storage, queue: drivers.queue, logger: silentLogger, config },
        { host: '127.0.0.1', port: 0, token: 'scrape-test' },
      );
      await waitFor(
        async () => (received.get('store') ?? []).length === 50 && (await engine.isDelivered()),
        60_000,
        'the 50 even events',
      );
      const res = await fetch(`http://127.0.0.1:${admin.server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      // Prometheus's own checker: the exposition format, names and help texts as a scraper reads them.
      const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(checked.error).toBeUndefined();
      // prom-client's own Node.js gauges are named …_total; promtool flags that naming, nothing else may be flagged.
      const flagged = `${checked.stdout}${checked.stderr}`
        .split('\n')
        .filter((line) => line.trim() !== '')
        .filter(
          (line) =>
            !/^sluice_process_nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(line),
        );
      expect(flagged).toEqual([]);
      const samples = parsePrometheusText(text);
      expect(sumOf(samples, 'sluice_events_in_total', { pipeline: 'numbers' })).toBe(100);
      expect(sumOf(samples, 'sluice_events_out_total', { pipeline: 'evens', sink: 'store' })).toBe(50);
      expect(sumOf(samples, 'sluice_dead_letters_total', { pipeline: 'evens' })).toBe(50);
      expect(sumOf(samples, 'sluice_retries_total', { pipeline: 'evens', sink: 'store' })).toBe(1);
      expect(sumOf(samples, 'sluice_errors_total', { pipeline: 'evens', kind: 'record' })).toBe(50);
      expect(sumOf(samples, 'sluice_errors_total', { pipeline: 'evens', kind: 'retryable' })).toBe(1);
      expect(sumOf(samples, 'sluice_end_to_end_latency_seconds_count', { pipeline: 'evens' })).toBe(100);
      expect(sumOf(samples, 'sluice_plugin_test_count_seen_events_total', { pipeline: 'numbers' })).toBe(100);
      expect(sumOf(samples, 'sluice_subscription_lag', { subscription: 'evens.store' })).toBe(0);
      expect(sumOf(samples, 'sluice_storage_memory_bytes')).toBeGreaterThan(0);
      expect(samples.some((s) => s.name === 'sluice_storage_round_trip_seconds')).toBe(true);
      expect(sumOf(samples, 'sluice_pipeline_up', { pipeline: 'evens', state: 'running' })).toBe(1);
    } finally {
      await admin?.close();
      await engine.stop(0);
      await drivers.close();
    }
  }, 300_000);
});
