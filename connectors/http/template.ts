// `{{ path }}` templates for the sink's URL, method and headers. A path reads the event: `key`, `id`, `ts`,
// `value`, `value.customer.id`, `value.items.0`, `headers.x-tenant`. In a URL the inserted text is
// percent-encoded so that an event can change a path segment but never the host, and a rendered path with a
// `.` or `..` segment is refused (URL parsing would remove it and climb out of the path). In the host part an
// insertion may name a host and port but hold nothing else. `{{{ path }}}` inserts text as it is (the host
// allowlist then is the only guard).
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
// Text up to a placeholder that lies in a URL's authority: scheme, `//`, then no path, query or fragment yet.
const IN_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*$/i;
// What a host (name, IPv4, bracketed IPv6) and port may hold: no `/`, `?`, `#`, `@`, `\` or spaces.
const HOST_TEXT = /^[A-Za-z0-9._~:[\]-]+$/;
// The segments URL parsing removes, climbing a level for `..`; %2e counts as a dot.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

type Insertion = { path: string; mode: 'raw' | 'encoded' | 'host' };

function insert(part: Insertion, value: string, field: string): string {
  if (part.mode === 'raw') return value;
  if (part.mode === 'encoded') return encodeURIComponent(value);
  if (!HOST_TEXT.test(value)) {
    throw new RecordError(`${field}: {{${part.path}}} is in the host part but holds more than a host and port`, {
      code: 'E_HTTP_TEMPLATE',
    });
  }
  return value;
}

/** The path of a rendered URL (or of a path-only template), without scheme, authority, query or fragment. */
function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0];
}

function checkNoDotSegment(url: string, field: string): void {
  const segment = pathOf(url)
    .split('/')
    .find((s) => DOT_SEGMENT.test(s));
  if (segment !== undefined) {
    throw new RecordError(
      `${field}: the event's values make "${segment}" a path segment, which would climb out of the path`,
      {
        code: 'E_HTTP_TEMPLATE',
      },
    );
  }
}

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
  const parts: Array<string | Insertion> = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const isTriple = m[1] === '{';
    if (isTriple !== (m[3] === '}')) throw new Error(`${field}: "${m[0]}" mixes {{ and {{{`);
    const mode = isTriple || !options.encode ? 'raw' : IN_AUTHORITY.test(text.slice(0, m.index)) ? 'host' : 'encoded';
    parts.push(text.slice(last, m.index), { path: m[2], mode });
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  const literal = parts.filter((p) => typeof p === 'string').join('');
  if (literal.includes('{{')) throw new Error(`${field}: "${text}" has a placeholder that is not {{ path }}`);
  const isStatic = parts.length === 1;
  const prefix = typeof parts[0] === 'string' ? parts[0] : '';
  const isUrl = parts.some((p) => typeof p !== 'string' && p.mode !== 'raw');
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
        out += insert(part, String(value), field);
      }
      if (isUrl) checkNoDotSegment(out, field);
      return out;
    },
  };
}
