// JSONata expressions over one event. An expression sees `{ key, value, ts, headers }` (so `value.temp > 30`
// works), is compiled once when its processor is created, and never changes the event it reads.
import jsonata from 'jsonata';
import { ConfigError, RecordError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { z } from '../../core/plugin.js';

export interface CompiledExpression {
  readonly text: string;
  /**
   * The expression's result for this event as a plain value (no JSONata sequence markers), `undefined` when it
   * selects nothing. A failure is a RecordError naming the expression.
   */
  evaluate(event: SluiceEvent): Promise<unknown>;
}

/**
 * A config field that holds a JSONata expression. It is compiled while the config is validated, so that
 * `sluice validate` refuses a broken expression with the position of its key, before anything starts.
 */
export function expressionField() {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const parsed = parseExpression(text);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
    });
}

type Parsed = { compiled: jsonata.Expression } | { problem: string; position?: number; cause: unknown };

function parseExpression(text: string): Parsed {
  try {
    return { compiled: jsonata(text) };
  } catch (err) {
    const failure = err as JsonataFailure;
    const at =
      failure.position === undefined
        ? ''
        : ` at position ${failure.position}, after "${text.slice(0, failure.position)}"`;
    const problem = `"${text}" is not a valid JSONata expression: ${failure.message}${at}${codeOf(failure)}${wrongSyntaxHint(text)}`;
    return { problem, position: failure.position, cause: err };
  }
}

// Four template syntaxes meet a pipeline author; the one that belongs elsewhere gets named (docs/templates.md).
function wrongSyntaxHint(text: string): string {
  if (/\{\{.*\}\}/.test(text))
    return '; {{ }} belongs in HTTP URLs only: in JSONata write the path itself, e.g. value.id (see docs/templates.md)';
  if (/^\{[a-z]+\}$/.test(text.trim()) || /\{(first|last|count|ts|key|id)\}/.test(text))
    return '; {first} and the like belong in file names only: in JSONata write the path itself, e.g. value.id (see docs/templates.md)';
  return '';
}

interface JsonataFailure {
  code?: string;
  position?: number;
  message?: string;
}

/**
 * Compiles `text`; a syntax error is a ConfigError that quotes the expression and where it breaks.
 * `label` says which config field holds it, for messages: `filter where`, `route routes[1].when`.
 */
export function compileExpression(text: string, label: string): CompiledExpression {
  const parsed = parseExpression(text);
  if ('problem' in parsed) {
    throw new ConfigError(`${label}: ${parsed.problem}`, {
      code: 'E_EXPRESSION_SYNTAX',
      cause: parsed.cause,
      details: { expression: text, position: parsed.position },
    });
  }
  const compiled = parsed.compiled;
  // `[]` makes JSONata tag the selected array of the input in place: such expressions read a copy.
  const isCopyNeeded = astHas(compiled.ast(), 'keepSingletonArray');
  const names = plainPath(compiled.ast());
  return {
    text,
    async evaluate(event) {
      const input = { key: event.key, value: event.value, ts: event.ts, headers: event.headers };
      if (names) {
        const found = lookup(input, names);
        if (found !== UNSURE) {
          if (typeof found === 'function')
            throw new RecordError(functionMessage(label, text), { code: 'E_EXPRESSION_RESULT' });
          return found;
        }
      }
      let result: unknown;
      try {
        result = await compiled.evaluate(isCopyNeeded ? copyJson(input) : input);
      } catch (err) {
        const failure = err as JsonataFailure;
        const at = failure.position === undefined ? '' : ` at position ${failure.position}`;
        throw new RecordError(`${label}: expression "${text}" failed${at}: ${failure.message}${codeOf(failure)}`, {
          code: 'E_EXPRESSION',
          cause: err,
          details: { expression: text, position: failure.position, jsonataCode: failure.code },
        });
      }
      return toPlain(result, () => functionMessage(label, text));
    },
  };
}

/** JSONata's truthiness (its `$boolean`): what `filter` and `route` keep. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.some(isTruthy);
  if (value instanceof Uint8Array) return value.byteLength > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return false;
}

/** An expression's result as text for a key, a header or a hash: strings as they are, anything else as JSON. */
export function resultText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

function functionMessage(label: string, text: string): string {
  return `${label}: expression "${text}" returned a function, not a value`;
}

// A plain path such as `key` or `value.order.id` is most of what set, dedupe, sample and split are given; it
// is read directly, many times faster than a JSONata evaluation. What JSONata would treat specially (arrays
// on the way, which it maps over, and bytes) goes to the full evaluation.
const UNSURE = Symbol('unsure');

function plainPath(ast: jsonata.ExprNode): string[] | undefined {
  const node = ast as unknown as Record<string, unknown>;
  if (node.type !== 'path' || Object.keys(node).some((k) => k !== 'type' && k !== 'steps')) return undefined;
  const names: string[] = [];
  for (const step of node.steps as Array<Record<string, unknown>>) {
    if (step.type !== 'name' || typeof step.value !== 'string') return undefined;
    if (Object.keys(step).some((k) => k !== 'type' && k !== 'value' && k !== 'position')) return undefined;
    names.push(step.value);
  }
  return names;
}

function lookup(input: object, names: string[]): unknown {
  let current: unknown = input;
  for (const name of names) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    if (Array.isArray(current) || current instanceof Uint8Array) return UNSURE;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

function codeOf(failure: JsonataFailure): string {
  return failure.code ? ` (${failure.code})` : '';
}

function astHas(node: unknown, flag: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as Record<string, unknown>)[flag] === true) return true;
  return Object.values(node).some((child) => astHas(child, flag));
}

function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copyJson(v);
  return out;
}

// JSONata returns arrays that carry its own markers (`sequence`, `keepSingleton`) and may hand back parts of
// the (frozen) input: the result is rebuilt as plain arrays and objects.
function toPlain(value: unknown, functionMessage: () => string): unknown {
  if (typeof value === 'function') throw new RecordError(functionMessage(), { code: 'E_EXPRESSION_RESULT' });
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => toPlain(item, functionMessage));
  if ((value as { _jsonata_lambda?: unknown })._jsonata_lambda) {
    throw new RecordError(functionMessage(), { code: 'E_EXPRESSION_RESULT' });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[k] = toPlain(v, functionMessage);
  }
  return out;
}
