// `sluice config <paths>`: the configuration as a run would see it, after ${VAR}s, defaults and the keys every
// sink shares are filled in, secrets masked. What to diff when "it works on my machine".
import { stringify } from 'yaml';
import { loadConfig } from '../config/load.js';
import type { ComponentSpec, LoadedConfig } from '../config/pipeline-spec.js';
import type { Plugin } from '../plugin.js';
import type { PluginEntry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export async function configCommand(
  paths: string[],
  options: { json?: boolean },
  builtins: readonly PluginEntry[],
): Promise<number> {
  try {
    const config = await loadConfig(paths, { builtins });
    const resolved = config.redactor.value(hideBytes(resolvedConfig(config)));
    process.stdout.write(options.json ? `${JSON.stringify(resolved, null, 2)}\n` : stringify(resolved));
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function component(c: ComponentSpec<Plugin>): Record<string, unknown> {
  return { type: c.plugin.name, ...(c.config as Record<string, unknown>) };
}

/** The loaded configuration in the shape of a pipeline file, every default written out. */
export function resolvedConfig(config: LoadedConfig): Record<string, unknown> {
  const topics = Object.fromEntries(
    [...config.topics.values()].map((t) => [
      t.name,
      {
        partitions: t.partitions,
        retention: {
          maxEvents: t.retention?.maxEvents,
          maxAge: t.retention?.maxAgeMs,
          allowLoss: t.retention?.allowLoss ?? false,
        },
        maxLag: config.maxLag.get(t.name),
      },
    ]),
  );
  const pipelines = Object.fromEntries(
    config.pipelines.map((p) => [
      p.name,
      {
        file: p.file,
        source: p.source ? component(p.source) : undefined,
        processors: p.inbound.map(component),
        topic: p.topic,
        sinks: p.sinks.map((s) => ({
          ...component(s),
          ...s.common,
          processors: s.processors.map(component),
          batch: s.batch,
          retry: s.retry,
          subscription: s.subscription,
        })),
        deadLetterTopic: p.deadLetterTopic,
      },
    ]),
  );
  return { redis: config.redis ?? '', topics, pipelines };
}

// Bytes in a config are key material (an encryption key read from ${file:…}): never printed.
function hideBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return `*** (${value.byteLength} bytes)`;
  if (Array.isArray(value)) return value.map(hideBytes);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, hideBytes(v)]),
  );
}
