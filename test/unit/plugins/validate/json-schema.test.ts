import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../../../core/plugin.js';
import jsonSchema from '../../../../plugins/validate/json-schema.js';
import { createProcessor, event, runProcessor } from '../run-processor.js';

const reading = {
  type: 'object',
  required: ['id', 'temp'],
  properties: {
    id: { type: 'string' },
    temp: { type: 'number', maximum: 100 },
    email: { type: 'string', format: 'email' },
    items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  },
  additionalProperties: false,
};

const messages = async (schema: object, values: unknown[], extra: Record<string, unknown> = {}) => {
  const { rejected } = await runProcessor(
    jsonSchema,
    { schema, ...extra },
    values.map((v) => event(v)),
  );
  return rejected.map((r) => r.error.message);
};

describe('json-schema', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-json-schema-'));
    await writeFile(join(dir, 'reading.json'), JSON.stringify(reading));
    await writeFile(join(dir, 'reading.yaml'), 'type: object\nrequired: [id]\n');
    await writeFile(join(dir, 'broken.json'), '{ "type": ');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes valid events unchanged and rejects invalid ones, keeping the rest of the batch', async () => {
    const good = event({ id: 'a', temp: 20 });
    const { events, rejected } = await runProcessor(jsonSchema, { schema: reading }, [
      good,
      event({ id: 'b', temp: 120 }),
    ]);
    expect(events).toEqual([good]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_SCHEMA_INVALID' });
  });

  it('says which field broke which rule', async () => {
    expect(
      await messages(reading, [
        { id: 'b', temp: 120 },
        { temp: 1 },
        { id: 1, temp: 1 },
        { id: 'a', temp: 1, extra: true },
        { id: 'a', temp: 1, items: [{ name: 'x' }, { name: 2 }] },
        { id: 'a', temp: 1, email: 'not-an-address' },
        'text',
      ]),
    ).toEqual([
      'json-schema: value.temp must be <= 100 (maximum)',
      'json-schema: value.id is required (required)',
      'json-schema: value.id must be string (type)',
      'json-schema: value.extra is not allowed (additionalProperties: false)',
      'json-schema: value.items[1].name must be string (type)',
      'json-schema: value.email must match format "email" (format)',
      'json-schema: value must be object (type)',
    ]);
  });

  it('lists every failed rule with allErrors, and gives them as details', async () => {
    const { rejected } = await runProcessor(jsonSchema, { schema: reading, allErrors: true }, [event({ temp: 'hot' })]);
    expect(rejected[0].error.message).toBe(
      'json-schema: value.id is required (required); value.temp must be number (type)',
    );
    expect((rejected[0].error as { details?: { errors: unknown[] } }).details?.errors).toHaveLength(2);
  });

  it('names the allowed values of an enum', async () => {
    expect(await messages({ enum: ['a', 'b'] }, ['c'])).toEqual(['json-schema: value must be one of "a", "b" (enum)']);
  });

  it('loads the schema from a JSON or YAML file relative to the pipeline file', async () => {
    const fromJson = await runProcessor(jsonSchema, { schemaFile: 'reading.json' }, [event({ id: 'a', temp: 200 })], {
      baseDir: dir,
    });
    expect(fromJson.rejected[0].error.message).toBe('json-schema: value.temp must be <= 100 (maximum)');
    const fromYaml = await runProcessor(jsonSchema, { schemaFile: 'reading.yaml' }, [event({ id: 'a' }), event({})], {
      baseDir: dir,
    });
    expect(fromYaml.events).toHaveLength(1);
    expect(fromYaml.rejected[0].error.message).toBe('json-schema: value.id is required (required)');
  });

  it('follows the draft named by $schema (2020-12 prefixItems)', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'number' }, { type: 'string' }],
    };
    expect(
      await messages(schema, [
        [1, 'a'],
        [1, 2],
      ]),
    ).toEqual(['json-schema: value[1] must be string (type)']);
  });

  it('rejects bytes, asking for them to be decoded first', async () => {
    const { rejected } = await runProcessor(jsonSchema, { schema: reading }, [event(new Uint8Array([123, 125]))]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_SCHEMA_BYTES' });
  });

  it('logs unknown keywords rather than refusing the schema', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => void warnings.push(String(m)) };
    const instance = await createProcessor(
      jsonSchema,
      { schema: { type: 'object', 'x-owner': 'team-gps' } },
      { logger },
    );
    expect(instance).toBeDefined();
    expect(warnings.join('\n')).toContain('x-owner');
  });

  it('refuses an invalid schema, a missing or unreadable file, and configs with both or neither source', async () => {
    await expect(createProcessor(jsonSchema, { schema: { type: 'nope' } })).rejects.toMatchObject({
      kind: 'config',
      code: 'E_SCHEMA_COMPILE',
    });
    await expect(createProcessor(jsonSchema, { schemaFile: 'missing.json' }, { baseDir: dir })).rejects.toThrow(
      /cannot read schema file "missing\.json"/,
    );
    await expect(createProcessor(jsonSchema, { schemaFile: 'broken.json' }, { baseDir: dir })).rejects.toMatchObject({
      code: 'E_SCHEMA_FILE',
    });
    expect(jsonSchema.config.safeParse({}).success).toBe(false);
    expect(jsonSchema.config.safeParse({ schema: reading, schemaFile: 'reading.json' }).success).toBe(false);
  });
});
