// protobufjs's `fromObject` converts whatever it is given: "fast" in an int32 field becomes 0 and a too large
// int64 wraps around. This check runs first so that such a value is a record error naming the field instead of
// silently different data. Fields the message does not declare are ignored; null means "not set".
import protobuf from 'protobufjs';

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface Problem {
  /** Where, from the message: `child.speed`, `tags[2]`, `counts["a"]`. */
  path: string;
  message: string;
}

const at = (path: string, message: string): Problem => ({ path, message });
const under = (prefix: string, problem: Problem | null): Problem | null =>
  problem && {
    path:
      problem.path === ''
        ? prefix
        : problem.path.startsWith('[')
          ? `${prefix}${problem.path}`
          : `${prefix}.${problem.path}`,
    message: problem.message,
  };

const shown = (value: unknown): string => {
  const text = value instanceof Uint8Array ? 'bytes' : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

function integerProblem(value: unknown, type: string): Problem | null {
  const [min, max] = INT_RANGES[type];
  let n: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  // 64-bit integers beyond 2^53 travel as decimal text; 32-bit ones are numbers.
  else if (typeof value === 'string' && max > 2n ** 32n && /^-?\d+$/.test(value)) n = BigInt(value);
  else return at('', `expected an integer (${type}), got ${shown(value)}`);
  return n < min || n > max ? at('', `${shown(value)} is out of range for ${type}`) : null;
}

function scalarProblem(value: unknown, field: protobuf.Field): Problem | null {
  const { resolvedType } = field;
  if (resolvedType instanceof protobuf.Type) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
      return at('', `expected a ${resolvedType.name} message (an object), got ${shown(value)}`);
    }
    return messageProblem(resolvedType, value as Record<string, unknown>);
  }
  if (resolvedType instanceof protobuf.Enum) {
    if (typeof value === 'string' && value in resolvedType.values) return null;
    if (typeof value === 'number' && Number.isInteger(value)) return integerProblem(value, 'int32');
    return at('', `expected one of ${Object.keys(resolvedType.values).join(', ')}, got ${shown(value)}`);
  }
  switch (field.type) {
    case 'double':
    case 'float':
      return typeof value === 'number' ? null : at('', `expected a number, got ${shown(value)}`);
    case 'bool':
      return typeof value === 'boolean' ? null : at('', `expected true or false, got ${shown(value)}`);
    case 'string':
      return typeof value === 'string' ? null : at('', `expected text, got ${shown(value)}`);
    case 'bytes':
      return value instanceof Uint8Array || (typeof value === 'string' && BASE64.test(value))
        ? null
        : at('', `expected bytes or base64 text, got ${shown(value)}`);
    default:
      return integerProblem(value, field.type);
  }
}

function fieldProblem(value: unknown, field: protobuf.Field): Problem | null {
  if (field instanceof protobuf.MapField) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return at('', `expected a map (an object), got ${shown(value)}`);
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = under(`[${JSON.stringify(key)}]`, scalarProblem(item, field));
      if (problem) return problem;
    }
    return null;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) return at('', `expected a list, got ${shown(value)}`);
    for (let i = 0; i < value.length; i++) {
      const problem = under(`[${i}]`, scalarProblem(value[i], field));
      if (problem) return problem;
    }
    return null;
  }
  return scalarProblem(value, field);
}

/** What is wrong with `value` as a `type` message, or null when it can be encoded as is. */
export function messageProblem(type: protobuf.Type, value: Record<string, unknown>): Problem | null {
  for (const field of type.fieldsArray) {
    const item = value[field.name];
    if (item === undefined || item === null) continue;
    const problem = under(field.name, fieldProblem(item, field.resolve()));
    if (problem) return problem;
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((f) => value[f.name] !== undefined && value[f.name] !== null);
    if (set.length > 1)
      return at(oneof.name, `${set.map((f) => f.name).join(' and ')} are all set, but only one may be`);
  }
  return null;
}
