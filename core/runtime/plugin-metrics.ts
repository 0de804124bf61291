// The metrics handle a plugin gets in its context: counters, gauges and histograms of its own, registered in the
// engine's registry under `sluice_plugin_<plugin>_<name>` and labelled with the pipeline and component, so two
// plugins (or two instances of one) never collide and a plugin cannot overwrite the engine's own series.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import type { PluginCounter, PluginGauge, PluginHistogram, PluginMetrics } from '../plugin.js';

const NAME = /^[a-z][a-z0-9_]*$/;

interface Scope {
  plugin: string;
  pipeline: string;
  component: string;
}

export function pluginMetrics(registry: Registry, scope: Scope): PluginMetrics {
  const prefix = `sluice_plugin_${scope.plugin.replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase()}_`;
  const fixed = { pipeline: scope.pipeline, component: scope.component };
  const named = (name: string, labels: readonly string[] = []) => {
    if (!NAME.test(name) || labels.some((l) => !NAME.test(l) || l in fixed)) {
      throw new ConfigError(
        `plugin ${scope.plugin}: metric "${name}" (labels ${labels.join(', ') || 'none'}) needs snake_case names, and "pipeline" and "component" are set for it`,
        { code: 'E_PLUGIN_METRIC' },
      );
    }
    return { name: prefix + name, labelNames: ['pipeline', 'component', ...labels] };
  };
  // One series object per name across the plugin's instances: prom-client refuses a second registration.
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    counter(name, help, labels): PluginCounter {
      // Prometheus names counters `…_total`: added when the plugin left it out.
      const spec = named(name.endsWith('_total') ? name : `${name}_total`, labels);
      const c = existing<Counter>(spec.name) ?? new Counter({ ...spec, help, registers: [registry] });
      return { inc: (value = 1, more = {}) => c.inc({ ...more, ...fixed }, value) };
    },
    gauge(name, help, labels): PluginGauge {
      const spec = named(name, labels);
      const g = existing<Gauge>(spec.name) ?? new Gauge({ ...spec, help, registers: [registry] });
      return { set: (value, more = {}) => g.set({ ...more, ...fixed }, value) };
    },
    histogram(name, help, options = {}): PluginHistogram {
      const spec = named(name, options.labels);
      const h =
        existing<Histogram>(spec.name) ??
        new Histogram({
          ...spec,
          help,
          ...(options.buckets ? { buckets: options.buckets } : {}),
          registers: [registry],
        });
      return { observe: (value, more = {}) => h.observe({ ...more, ...fixed }, value) };
    },
  };
}

/** A handle whose series go nowhere but its own registry: for contexts outside an engine (eval, tests, benches). */
export function detachedPluginMetrics(scope: Scope): PluginMetrics {
  return pluginMetrics(new Registry(), scope);
}
