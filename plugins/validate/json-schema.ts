// Validates each event value against a JSON Schema (ajv 8 with ajv-formats). The draft follows the schema's
// `$schema` (2020-12, 2019-09, else draft-07). A failure rejects that event with the field and the rule.
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { ConfigError, RecordError } from '../../core/errors.js';
import { defineProcessor, eachRecordSync, type Logger, z } from '../../core/plugin.js';

// ajv-formats is CommonJS: its plugin function is both the module and its `default`.
const addFormats = addFormatsModule.default;

type Schema = Record<string, unknown>;

export default defineProcessor({
  name: 'json-schema',
  summary:
    'Check each event value against a JSON Schema; events that fail go to the dead-letter topic with the reason.',
  config: z
    .object({
      schema: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('The JSON Schema, inline. Give this or schemaFile.'),
      schemaFile: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Path of a JSON or YAML file holding the schema, relative to the pipeline file. Give this or schema.',
        ),
      allErrors: z
        .boolean()
        .default(false)
        .describe('Report every failed rule of an event instead of the first one (slower on invalid events).'),
    })
    .refine((c) => (c.schema === undefined) !== (c.schemaFile === undefined), {
      error: 'json-schema needs exactly one of schema (inline) or schemaFile',
    }),
  async check({ schema, schemaFile, allErrors }, ctx) {
    try {
      await prepare({ schema, schemaFile, allErrors }, ctx.baseDir, silent);
      return [];
    } catch (err) {
      return [{ path: [schemaFile === undefined ? 'schema' : 'schemaFile'], message: (err as Error).message }];
    }
  },
  async create(config, ctx) {
    const validate = await prepare(config, ctx.baseDir, ctx.logger);
    return {
      process: (batch) =>
        eachRecordSync(batch, (event) => {
          if (event.value instanceof Uint8Array) {
            throw new RecordError(
              'json-schema: the value is bytes; decode it first (for example with { type: json }) so that it can be validated',
              { code: 'E_SCHEMA_BYTES' },
            );
          }
          if (validate(event.value)) return event;
          const errors = validate.errors ?? [];
          throw new RecordError(`json-schema: ${errors.map(describeError).join('; ')}`, {
            code: 'E_SCHEMA_INVALID',
            details: {
              errors: errors.map((e) => ({
                path: pathOf(e),
                keyword: e.keyword,
                message: e.message,
                params: e.params,
              })),
            },
          });
        }),
    };
  },
});

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function prepare(
  config: { schema?: Schema; schemaFile?: string; allErrors: boolean },
  baseDir: string,
  logger: Logger,
): Promise<ValidateFunction> {
  const source = config.schemaFile === undefined ? 'the inline schema' : `schema file "${config.schemaFile}"`;
  const loaded = config.schema ?? (await loadSchema(config.schemaFile as string, baseDir));
  return compile(loaded, source, config.allErrors, logger);
}

async function loadSchema(file: string, baseDir: string): Promise<Schema> {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`json-schema: cannot read schema file "${file}" (${path}): ${(err as Error).message}`, {
      code: 'E_SCHEMA_FILE',
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`json-schema: schema file "${file}" is not valid JSON or YAML: ${(err as Error).message}`, {
      code: 'E_SCHEMA_FILE',
      cause: err,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`json-schema: schema file "${file}" must hold an object`, { code: 'E_SCHEMA_FILE' });
  }
  return parsed as Schema;
}

function compile(schema: Schema, source: string, allErrors: boolean, logger: Logger): ValidateFunction {
  // Unknown keywords are logged rather than refused: real schemas carry annotations of their own.
  const options: Options = {
    allErrors,
    strictSchema: 'log',
    logger: {
      log: (...args: unknown[]) => logger.debug(args.join(' ')),
      warn: (...args: unknown[]) => logger.warn(`json-schema: ${args.join(' ')}`),
      error: (...args: unknown[]) => logger.error(`json-schema: ${args.join(' ')}`),
    },
  };
  const draft = typeof schema.$schema === 'string' ? schema.$schema : '';
  const ajv = draft.includes('2020-12')
    ? new Ajv2020(options)
    : draft.includes('2019-09')
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv);
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw new ConfigError(`json-schema: ${source} is not a valid JSON Schema: ${(err as Error).message}`, {
      code: 'E_SCHEMA_COMPILE',
      cause: err,
    });
  }
}

/** `value.items[2].name` for ajv's `/items/2/name`. */
function pathOf(error: ErrorObject): string {
  let path = 'value';
  for (const raw of error.instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) path += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) path += `.${part}`;
    else path += `[${JSON.stringify(part)}]`;
  }
  return path;
}

function describeError(error: ErrorObject): string {
  const path = pathOf(error);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${path}.${params.missingProperty} is required (required)`;
  if (error.keyword === 'additionalProperties') {
    return `${path}.${params.additionalProperty} is not allowed (additionalProperties: false)`;
  }
  if (error.keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return `${path} must be one of ${allowed} (enum)`;
  }
  return `${path} ${error.message} (${error.keyword})`;
}
