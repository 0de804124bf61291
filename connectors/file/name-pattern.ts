// File name patterns for the file source: `*` (any run of characters), `?` (one character) and
// `{a,b}` (any one of the choices), as in a shell. Like a shell, a wildcard does not match a leading dot,
// so hidden files (and the sinks' `.name.tmp` files still being written) are never picked up by `*`.

/** A predicate for file names matching `pattern`. */
export function namePattern(pattern: string): (name: string) => boolean {
  const regex = new RegExp(`^${toRegexSource(pattern)}$`, 'u');
  const isDotPattern = pattern.startsWith('.');
  return (name) => (isDotPattern || !name.startsWith('.')) && regex.test(name);
}

/** Why `pattern` is not a name pattern, or undefined when it is one. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'the pattern is empty';
  if (pattern.includes('/') || pattern.includes('\\')) {
    return 'a pattern matches file names only; put the folder in `directory`';
  }
  let depth = 0;
  for (const c of pattern) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (depth < 0 || depth > 1) return 'braces must be balanced and not nested: {a,b}';
  }
  return depth === 0 ? undefined : 'braces must be balanced and not nested: {a,b}';
}

function toRegexSource(pattern: string): string {
  let out = '';
  let inBraces = false;
  for (const c of pattern) {
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) out += '|';
    else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}
