// Avro binary datums ↔ values (one datum per event, no container file). The writer schema is given inline or
// as a file; a reader schema reads old data with a newer schema (Avro schema resolution). Longs beyond 2^53
// are decimal text (see avro-long.ts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import avro from 'avsc';
import { ConfigError } from '../../core/errors.js';
import { type SluiceEvent, withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, z } from '../../core/plugin.js';
import { checkAvroBounds } from './avro-bounds.js';
import { exactLongType } from './avro-long.js';

const inlineSchema = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]);

const config = z
  .object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe('decode: Avro bytes become the value they hold; encode: each value becomes Avro bytes.'),
    schema: inlineSchema
      .optional()
      .describe('The writer schema inline: JSON text, the schema written as YAML, or a primitive type name.'),
    schemaFile: z
      .string()
      .optional()
      .describe('Path of an .avsc file holding the writer schema (relative to the pipeline file).'),
    readerSchema: inlineSchema
      .optional()
      .describe('decode: read with this schema instead (fields added with defaults, removed, promoted types).'),
    readerSchemaFile: z.string().optional().describe('decode: path of an .avsc file holding the reader schema.'),
  })
  .refine((c) => (c.schema === undefined) !== (c.schemaFile === undefined), {
    message: 'give the writer schema as exactly one of schema or schemaFile',
  })
  .refine((c) => c.readerSchema === undefined || c.readerSchemaFile === undefined, {
    message: 'give the reader schema as at most one of readerSchema or readerSchemaFile',
  });

function loadType(schema: unknown, file: string | undefined, baseDir: string, what: string): avro.Type {
  let definition = schema;
  if (file !== undefined) {
    const path = resolve(baseDir, file);
    try {
      definition = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(`avro: cannot read ${what} file ${path}: ${(err as Error).message}`, { cause: err });
    }
  } else if (typeof schema === 'string' && /^\s*[[{"]/.test(schema)) {
    try {
      definition = JSON.parse(schema);
    } catch (err) {
      throw new ConfigError(`avro: ${what} is not JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    return avro.Type.forSchema(definition as avro.Schema, {
      omitRecordMethods: true,
      registry: { long: exactLongType() },
    });
  } catch (err) {
    throw new ConfigError(`avro: ${what} is not a valid Avro schema: ${(err as Error).message}`, { cause: err });
  }
}

// avsc takes Buffers for bytes and fixed; events may hold plain Uint8Arrays. Copy the path to them, never
// changing the caller's value.
function withBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(withBuffers);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBuffers(v)]));
  }
  return value;
}

function invalidFields(type: avro.Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path, got, expected) => {
      const name = expected.name ?? expected.typeName;
      problems.push(`${path.join('.') || 'value'}: expected ${name}, got ${JSON.stringify(got) ?? 'nothing'}`);
    },
  });
  return problems.slice(0, 3).join('; ');
}

export default defineProcessor({
  name: 'avro',
  summary: 'Decode Avro binary into values, or encode values as Avro binary, with a schema inline or from a file.',
  config,
  create: (c, ctx) => {
    const writer = loadType(c.schema, c.schemaFile, ctx.baseDir, 'schema');
    const hasReader = c.readerSchema !== undefined || c.readerSchemaFile !== undefined;
    const reader = hasReader ? loadType(c.readerSchema, c.readerSchemaFile, ctx.baseDir, 'readerSchema') : writer;
    let resolver: ReturnType<avro.Type['createResolver']> | undefined;
    try {
      resolver = hasReader ? reader.createResolver(writer) : undefined;
    } catch (err) {
      throw new ConfigError(`avro: readerSchema cannot read data written with schema: ${(err as Error).message}`, {
        cause: err,
      });
    }

    const decode = (event: SluiceEvent): SluiceEvent => {
      if (!(event.value instanceof Uint8Array)) {
        throw recordError('avro decode: expected bytes; Avro is a binary format', undefined, 'E_DECODE');
      }
      const bytes = event.value;
      try {
        checkAvroBounds(writer, bytes);
        return withValue(
          event,
          reader.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), resolver),
        );
      } catch (err) {
        throw recordError(
          `avro decode: value is not Avro data of the schema (${(err as Error).message})`,
          err,
          'E_DECODE',
        );
      }
    };

    const encode = (event: SluiceEvent): SluiceEvent => {
      try {
        return withValue(event, writer.toBuffer(event.value));
      } catch {
        // Most often plain Uint8Arrays where avsc wants Buffers; otherwise say which fields are wrong.
        const value = withBuffers(event.value);
        const problems = invalidFields(writer, value);
        if (problems !== '') {
          throw recordError(`avro encode: value does not match the schema: ${problems}`, undefined, 'E_ENCODE');
        }
        try {
          return withValue(event, writer.toBuffer(value));
        } catch (err) {
          throw recordError(`avro encode: value cannot be written (${(err as Error).message})`, err, 'E_ENCODE');
        }
      }
    };

    const one = c.action === 'decode' ? decode : encode;
    return { process: (batch) => eachRecordSync(batch, one) };
  },
});
