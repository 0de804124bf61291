// One JSON Schema for pipeline files, built from the same zod schemas that validate them, so editors
// (YAML language server) autocomplete and flag exactly what `sluice validate` would.
import { z } from 'zod';
import type { Plugin, PluginKind } from '../plugin.js';
import { fileSchema, sinkCommonSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

function toJson(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return alignWithLoader(strip(out)) as JsonSchema;
}

// `secret: true` is our own marker; JSON Schema already says the same with writeOnly. Only the boolean marker
// goes: a plugin may well have a config key named `secret` (an HMAC secret, say).
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !((k === 'secret' || k === 'secretReferenceOnly') && typeof v === 'boolean'))
      .map(([k, v]) => [k, strip(v)]),
  );
}

/** A whole-value `${VAR}` / `${VAR:-default}`: it becomes a number or boolean when the file is loaded. */
const REFERENCE: JsonSchema = {
  type: 'string',
  pattern: '^\\$\\{[^}]+\\}$',
  description: 'A ${VAR} or ${VAR:-default} reference, resolved when the file is loaded.',
};

const ANNOTATIONS = ['description', 'default', 'title', 'examples', 'writeOnly', 'deprecated'];

/**
 * Makes the JSON Schema agree with `validate`: objects refuse keys they do not declare (as the unknown-key check
 * does), and wherever a number, boolean or fixed word goes, a `${VAR}` reference is accepted too, since it is
 * resolved (and typed) before validation.
 */
function alignWithLoader(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(alignWithLoader);
  if (value === null || typeof value !== 'object') return value;
  const node = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, alignWithLoader(v)])) as JsonSchema;
  if (node.properties !== undefined && node.additionalProperties === undefined && node.type === 'object')
    node.additionalProperties = false;
  // ajv's strict mode refuses `type: [a, b]`; the same union as anyOf is strict-clean.
  if (Array.isArray(node.type)) {
    const { type, ...rest } = node;
    const annotations = Object.fromEntries(Object.entries(rest).filter(([k]) => ANNOTATIONS.includes(k)));
    const constraint = Object.fromEntries(Object.entries(rest).filter(([k]) => !ANNOTATIONS.includes(k)));
    return alignWithLoader({ ...annotations, anyOf: (type as string[]).map((t) => ({ ...constraint, type: t })) });
  }
  const types = [node.type].flat();
  const isTyped = types.some((t) => t === 'number' || t === 'integer' || t === 'boolean');
  if (isTyped || (node.enum !== undefined && node.properties === undefined)) {
    const annotations = Object.fromEntries(Object.entries(node).filter(([k]) => ANNOTATIONS.includes(k)));
    const constraint = Object.fromEntries(Object.entries(node).filter(([k]) => !ANNOTATIONS.includes(k)));
    return { ...annotations, anyOf: [constraint, REFERENCE] };
  }
  return node;
}

function componentVariant(plugin: Plugin, extra: JsonSchema = {}): JsonSchema {
  const own = toJson(plugin.config);
  const properties = {
    type: { const: plugin.name, description: plugin.summary },
    ...((own.properties as JsonSchema | undefined) ?? {}),
    ...extra,
  };
  return {
    type: 'object',
    title: plugin.name,
    description: plugin.summary,
    properties,
    required: ['type', ...((own.required as string[] | undefined) ?? [])],
    additionalProperties: false,
    ...(own.$defs ? { $defs: own.$defs } : {}),
  };
}

function variants(plugins: readonly Plugin[], kind: PluginKind, extra?: JsonSchema): JsonSchema {
  const list = plugins.filter((p) => p.kind === kind).map((p) => componentVariant(p, extra));
  return {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: list.map((v) => (v.properties as { type: { const: string } }).type.const) } },
    oneOf: list,
  };
}

/** The JSON Schema (draft 2020-12) of a pipeline file for these plugins. */
export function pipelineFileJsonSchema(plugins: readonly Plugin[]): JsonSchema {
  const root = toJson(fileSchema);
  const defs: JsonSchema = {
    source: variants(plugins, 'source'),
    processor: variants(plugins, 'processor'),
  };
  const sinkCommon = toJson(sinkCommonSchema).properties as JsonSchema;
  sinkCommon.processors = {
    type: 'array',
    items: { $ref: '#/$defs/processor' },
    description: (sinkCommon.processors as JsonSchema).description,
  };
  defs.sink = variants(plugins, 'sink', sinkCommon);

  const pipelines = (root.properties as JsonSchema).pipelines as JsonSchema;
  const pipeline = pipelines.additionalProperties as JsonSchema;
  const props = pipeline.properties as JsonSchema;
  props.source = { $ref: '#/$defs/source', description: (props.source as JsonSchema).description };
  props.processors = {
    type: 'array',
    items: { $ref: '#/$defs/processor' },
    description: (props.processors as JsonSchema).description,
  };
  props.sinks = {
    type: 'array',
    items: { $ref: '#/$defs/sink' },
    description: (props.sinks as JsonSchema).description,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Sluice pipeline file',
    ...root,
    $defs: { ...((root.$defs as JsonSchema | undefined) ?? {}), ...defs },
  };
}
