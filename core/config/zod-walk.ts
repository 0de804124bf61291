// Walks a zod schema alongside a config value: the keys an object accepts (for "unknown key" errors with
// suggestions, at any depth) and the fields marked secret (for redaction).
import { z } from 'zod';
import type { ConfigPath } from './issues.js';

type AnySchema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  shape?: Record<string, AnySchema>;
  catchall?: AnySchema;
  getter?: () => AnySchema;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

interface SecretMeta {
  secret?: boolean;
  secretReferenceOnly?: boolean;
}

function metaOf(schema: AnySchema): SecretMeta | undefined {
  return z.globalRegistry.get(schema as z.ZodType) as SecretMeta | undefined;
}

function isSecret(schema: AnySchema): boolean {
  return metaOf(schema)?.secret === true;
}

/** Strips optional/default/pipe wrappers; returns the schema that describes the value's shape. */
export function unwrap(schema: AnySchema): { schema: AnySchema; secret: boolean; referenceOnly: boolean } {
  let current = schema;
  let secret = isSecret(current);
  let referenceOnly = metaOf(current)?.secretReferenceOnly === true;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = defOf(def.in).type === 'transform' && def.out ? def.out : def.in;
    else if (def.type === 'lazy' && def.getter) current = def.getter();
    else break;
    secret ||= isSecret(current);
    referenceOnly ||= metaOf(current)?.secretReferenceOnly === true;
  }
  return { schema: current, secret, referenceOnly };
}

/** The object shapes a value at this schema may take (a union gives several). */
function objectShapes(schema: AnySchema): Array<{ shape: Record<string, AnySchema>; open: boolean }> {
  const { schema: s } = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'object' && def.shape) {
    const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
    return [{ shape: def.shape, open }];
  }
  if (def.type === 'union' && def.options) return def.options.flatMap(objectShapes);
  return [];
}

function childSchema(schema: AnySchema, key: string | number): AnySchema | undefined {
  const { schema: s } = unwrap(schema);
  const def = defOf(s);
  // Own keys only: a key named `constructor` or `toString` must not find Object.prototype's members.
  if (def.type === 'object' && def.shape)
    return (Object.hasOwn(def.shape, key) ? def.shape[key as string] : undefined) ?? def.catchall;
  if (def.type === 'array' && def.element) return def.element;
  if (def.type === 'record' && def.valueType) return def.valueType;
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const c = childSchema(option, key);
      if (c) return c;
    }
  }
  return undefined;
}

export interface UnknownKey {
  path: ConfigPath;
  key: string;
  known: string[];
}

/** Keys in `value` that its schema does not declare, at any depth. */
export function findUnknownKeys(schema: AnySchema, value: unknown, path: ConfigPath = []): UnknownKey[] {
  const out: UnknownKey[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const c = childSchema(schema, i);
      if (c) out.push(...findUnknownKeys(c, v, [...path, i]));
    });
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  const shapes = objectShapes(schema);
  const { schema: s } = unwrap(schema);
  if (shapes.length > 0 && !shapes.some((sh) => sh.open)) {
    const known = [...new Set(shapes.flatMap((sh) => Object.keys(sh.shape)))];
    for (const key of Object.keys(value)) if (!known.includes(key)) out.push({ path, key, known });
  }
  for (const [key, v] of Object.entries(value)) {
    const c =
      defOf(s).type === 'object' || defOf(s).type === 'record' || defOf(s).type === 'union'
        ? childSchema(schema, key)
        : undefined;
    if (c) out.push(...findUnknownKeys(c, v, [...path, key]));
  }
  return out;
}

export interface SecretField {
  path: ConfigPath;
  value: string;
  /** The field must be given as a reference (`${NAME}`, `${file:path}`), never written in the file. */
  referenceOnly: boolean;
}

/** String values in `value` that sit in fields marked secret, with where they are. */
export function findSecrets(
  schema: AnySchema,
  value: unknown,
  path: ConfigPath = [],
  inherited?: SecretField['referenceOnly'],
): SecretField[] {
  const { secret, referenceOnly } = unwrap(schema);
  const isSecretHere = inherited !== undefined || secret;
  const onlyReference = (inherited ?? false) || referenceOnly;
  if (typeof value === 'string') return isSecretHere ? [{ path, value, referenceOnly: onlyReference }] : [];
  const out: SecretField[] = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  for (const [key, v] of entries) {
    const c = childSchema(schema, key) ?? (isSecretHere ? z.unknown() : undefined);
    if (c) out.push(...findSecrets(c, v, [...path, key], isSecretHere ? onlyReference : undefined));
  }
  return out;
}

/** Top-level keys a plugin's config declares. */
export function declaredKeys(schema: AnySchema): string[] {
  return [...new Set(objectShapes(schema).flatMap((sh) => Object.keys(sh.shape)))];
}
