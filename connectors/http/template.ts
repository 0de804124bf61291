// `{{ path }}` templates for the sink's URL, method and headers. A path reads the event: `key`, `id`, `ts`,
// `value`, `value.customer.id`, `value.items.0`, `headers.x-tenant`. In a URL the inserted text is
// percent-encoded so that an event can change a path segment but never the host; `{{{ path }}}` inserts it
// as it is (the host allowlist then is the only guard).
import { RecordError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';

export interface Template {
  /** True when the text has no placeholder: it renders to itself. */
  readonly isStatic: boolean;
  /** The text before the first placeholder. */
  readonly prefix: string;
  render(event: SluiceEvent): string;
}

const PLACEHOLDER = /\{\{(\{)?\s*([A-Za-z_$][\w$-]*(?:\.[\w$-]+)*)\s*(\})?\}\}/g;

function lookup(event: SluiceEvent, path: string): unknown {
  const [root, ...rest] = path.split('.');
  let current: unknown;
  if (root === 'key') current = event.key;
  else if (root === 'id') current = event.id;
  else if (root === 'ts') current = event.ts;
  else if (root === 'value') current = event.value;
  else if (root === 'headers') current = event.headers;
  else return undefined;
  for (const part of rest) {
    if (current === null || typeof current !== 'object' || current instanceof Uint8Array) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Compiles `text`; `field` names it in messages. With `encode`, `{{ }}` insertions are percent-encoded.
 * Throws a message (as Error) for a malformed placeholder, which the caller reports as a config error.
 */
export function compileTemplate(text: string, field: string, options: { encode: boolean }): Template {
  const parts: Array<string | { path: string; raw: boolean }> = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const isTriple = m[1] === '{';
    if (isTriple !== (m[3] === '}')) throw new Error(`${field}: "${m[0]}" mixes {{ and {{{`);
    parts.push(text.slice(last, m.index), { path: m[2], raw: isTriple || !options.encode });
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  const literal = parts.filter((p) => typeof p === 'string').join('');
  if (literal.includes('{{')) throw new Error(`${field}: "${text}" has a placeholder that is not {{ path }}`);
  const isStatic = parts.length === 1;
  const prefix = typeof parts[0] === 'string' ? parts[0] : '';
  return {
    isStatic,
    prefix,
    render(event) {
      if (isStatic) return text;
      let out = '';
      for (const part of parts) {
        if (typeof part === 'string') {
          out += part;
          continue;
        }
        const value = lookup(event, part.path);
        if (value === undefined || value === null) {
          throw new RecordError(`${field}: {{${part.path}}} is missing in the event`, {
            code: 'E_HTTP_TEMPLATE',
          });
        }
        if (typeof value === 'object') {
          throw new RecordError(`${field}: {{${part.path}}} is an object or bytes, not text`, {
            code: 'E_HTTP_TEMPLATE',
          });
        }
        const s = String(value);
        out += part.raw ? s : encodeURIComponent(s);
      }
      return out;
    },
  };
}
