import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { pluginMetrics } from '../../../../core/runtime/plugin-metrics.js';

describe("a plugin's own metrics", () => {
  it('are namespaced by plugin, labelled with pipeline and component, and shared across instances', async () => {
    const registry = new Registry();
    const a = pluginMetrics(registry, { plugin: 'my-sink', pipeline: 'p', component: 'sinks[0]' });
    const b = pluginMetrics(registry, { plugin: 'my-sink', pipeline: 'q', component: 'sinks[0]' });
    a.counter('rows_written', 'Rows written.', ['table']).inc(3, { table: 't' });
    b.counter('rows_written', 'Rows written.', ['table']).inc(2, { table: 't' });
    a.histogram('write_seconds', 'Write time.').observe(0.2);
    const text = await registry.metrics();
    expect(text).toContain('sluice_plugin_my_sink_rows_written_total{table="t",pipeline="p",component="sinks[0]"} 3');
    expect(text).toContain('sluice_plugin_my_sink_rows_written_total{table="t",pipeline="q",component="sinks[0]"} 2');
    expect(text).toContain('sluice_plugin_my_sink_write_seconds_count{pipeline="p",component="sinks[0]"} 1');
  });

  it('refuse names that are not snake_case and labels the runtime sets', () => {
    const m = pluginMetrics(new Registry(), { plugin: 'x', pipeline: 'p', component: 'c' });
    expect(() => m.counter('Rows-Written', 'bad')).toThrow(/snake_case/);
    expect(() => m.gauge('depth', 'bad', ['pipeline'])).toThrow(/"pipeline" and "component" are set for it/);
  });
});
