// Every millisecond field of every built-in plugin is bounded by what a timer can wait: a larger value would
// validate, then make Node fire the timer at once with a TimeoutOverflowWarning on every use.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtins } from '../../../../builtins.js';
import { fileSchema } from '../../../../core/config/schema.js';
import { MAX_TIMER_MS } from '../../../../core/duration.js';
import { PluginRegistry } from '../../../../core/registry.js';

type Schema = Record<string, unknown>;

/** Paths of number fields whose name ends in `Ms` and whose maximum is missing or above `MAX_TIMER_MS`. */
function unbounded(schema: unknown, path: string, out: string[]): string[] {
  if (Array.isArray(schema)) {
    for (const item of schema) unbounded(item, path, out);
    return out;
  }
  if (schema === null || typeof schema !== 'object') return out;
  const s = schema as Schema;
  for (const [key, value] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
    const isNumber = value.type === 'integer' || value.type === 'number';
    if (key.endsWith('Ms') && isNumber && !((value.maximum as number) <= MAX_TIMER_MS)) out.push(`${path}.${key}`);
    unbounded(value, `${path}.${key}`, out);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'items', 'additionalProperties']) unbounded(s[key], path, out);
  return out;
}

describe('millisecond fields of the built-in plugins', () => {
  it('are all bounded by MAX_TIMER_MS', async () => {
    const plugins = (await new PluginRegistry(builtins).list()).map((r) => r.plugin);
    const found = plugins.flatMap((p) =>
      unbounded(z.toJSONSchema(p.config, { io: 'input', unrepresentable: 'any' }), `${p.kind} ${p.name}`, []),
    );
    expect(found).toEqual([]);
  });

  it('are bounded in the pipeline file itself (retry, batching, topics)', () => {
    expect(unbounded(z.toJSONSchema(fileSchema, { io: 'input', unrepresentable: 'any' }), 'file', [])).toEqual([]);
  });
});
