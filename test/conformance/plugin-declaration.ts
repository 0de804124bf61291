// What every plugin declaration must give, whatever its kind: a kebab-case name, a summary, a config schema
// that describes every field (the docs and the editor schema come from it) and accepts the config under test.
import { expect } from 'vitest';
import { type Plugin, z } from '../../core/plugin.js';

/** JSON-Schema paths of config fields that have no description. */
export function undescribedFields(plugin: Plugin): string[] {
  const missing: string[] = [];
  const walk = (schema: Record<string, unknown>, path: string): void => {
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, field] of Object.entries(properties ?? {})) {
      const fieldPath = path ? `${path}.${name}` : name;
      if (typeof field.description !== 'string' || field.description.trim() === '') missing.push(fieldPath);
      walk(field, fieldPath);
    }
    for (const variant of (schema.anyOf ?? schema.oneOf ?? []) as Record<string, unknown>[]) walk(variant, path);
  };
  walk(z.toJSONSchema(plugin.config, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, '');
  return missing;
}

/** Asserts the declaration is complete and that `config` (as written in YAML, without `type`) is valid. */
export function expectCompleteDeclaration(plugin: Plugin, kind: Plugin['kind'], config: unknown): void {
  expect(plugin.kind).toBe(kind);
  expect(plugin.name).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  expect(plugin.summary.trim().length).toBeGreaterThan(0);
  expect(undescribedFields(plugin)).toEqual([]);
  const parsed = plugin.config.safeParse(config);
  expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
}
