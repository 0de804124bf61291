// `${VAR}`, `${VAR:-default}` and `${file:path}` in string values of a pipeline file. `$${` writes a
// literal `${`. Interpolation runs on parsed values, not on the text, so positions in errors stay exact.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigPath } from './issues.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationProblem {
  path: ConfigPath;
  message: string;
  hint?: string;
}

export interface InterpolationResult {
  value: unknown;
  problems: InterpolationProblem[];
  /** Values read through ${file:…}: keys and passwords more often than not, so they are redacted. */
  fromFiles: string[];
  /** Paths whose whole scalar was one reference and was turned into a number or boolean. */
  coerced: Map<string, string>;
  /** Paths (as JSON) of the values that held at least one reference. */
  referenced: Set<string>;
}

export interface InterpolationOptions {
  env: Record<string, string | undefined>;
  /** Folder that relative `${file:…}` paths are read from. */
  baseDir: string;
}

/** Returns a copy of `input` with every reference in its strings resolved. */
export function interpolate(input: unknown, options: InterpolationOptions): InterpolationResult {
  const result: InterpolationResult = {
    value: undefined,
    problems: [],
    fromFiles: [],
    coerced: new Map(),
    referenced: new Set(),
  };
  result.value = walk(input, [], options, result);
  return result;
}

function walk(input: unknown, path: ConfigPath, options: InterpolationOptions, out: InterpolationResult): unknown {
  if (typeof input === 'string') return interpolateString(input, path, options, out);
  if (Array.isArray(input)) return input.map((v, i) => walk(v, [...path, i], options, out));
  if (input !== null && typeof input === 'object') {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, walk(v, [...path, k], options, out)]));
  }
  return input;
}

function interpolateString(text: string, path: ConfigPath, options: InterpolationOptions, out: InterpolationResult) {
  if (!text.includes('${')) return text;
  let wholeReference = false;
  const replaced = text.replace(REFERENCE, (match, body: string | undefined, offset: number) => {
    if (match === '$${') return '${';
    out.referenced.add(JSON.stringify(path));
    wholeReference = offset === 0 && match.length === text.length;
    const value = resolveReference(body ?? '', path, options, out);
    if (value !== undefined && value !== '' && body?.startsWith('file:')) out.fromFiles.push(value);
    return value ?? '';
  });
  // A value that was only `${PORT}` takes the type its text spells, so `port: ${PORT:-8080}` is a number.
  if (wholeReference && !text.startsWith('${file:')) {
    if (/^-?\d+(\.\d+)?$/.test(replaced)) {
      out.coerced.set(JSON.stringify(path), replaced);
      return Number(replaced);
    }
    if (replaced === 'true' || replaced === 'false') {
      out.coerced.set(JSON.stringify(path), replaced);
      return replaced === 'true';
    }
  }
  return replaced;
}

function resolveReference(
  body: string,
  path: ConfigPath,
  options: InterpolationOptions,
  out: InterpolationResult,
): string | undefined {
  if (body.startsWith('file:')) {
    const file = body.slice('file:'.length).trim();
    const full = isAbsolute(file) ? file : resolve(options.baseDir, file);
    try {
      // A trailing newline is almost never part of a key or password kept in a file.
      return readFileSync(full, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
      out.problems.push({
        path,
        message: `\${file:${file}} ${reason} (${full})`,
        hint: 'check the path; relative paths are read from the folder of the pipeline file',
      });
      return undefined;
    }
  }
  const sep = body.indexOf(':-');
  const name = (sep === -1 ? body : body.slice(0, sep)).trim();
  const fallback = sep === -1 ? undefined : body.slice(sep + 2);
  if (!VAR_NAME.test(name)) {
    out.problems.push({
      path,
      message: `"\${${body}}" is not a valid reference`,
      hint: /^(value|key|headers|ts|id)\b/.test(name)
        ? '${…} reads environment variables when the file loads; event fields go in {{ value.x }} in HTTP URLs or in a JSONata expression (see docs/templates.md)'
        : 'use ${NAME}, ${NAME:-default} or ${file:path}; write $${ for a literal ${',
    });
    return undefined;
  }
  const value = options.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  if (value === '') return '';
  out.problems.push({
    path,
    message: `environment variable ${name} is not set`,
    hint: `set ${name}, or give a default with \${${name}:-value}`,
  });
  return undefined;
}
