// A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must be a HELP or TYPE
// comment, blank, or a sample `name{label="value",…} value`; a sample's family must have been typed first; label
// values must be properly escaped. It throws on the first line that breaks the format and returns the samples.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? ([^ ]+)(?: (-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

export function parsePrometheusText(text: string): Sample[] {
  const typed = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const where = `line ${i + 1} ${JSON.stringify(line)}`;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) throw new Error(`${where}: a comment must be # HELP or # TYPE`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3])) throw new Error(`${where}: unknown type`);
        if (typed.has(m[2])) throw new Error(`${where}: family typed twice`);
        typed.set(m[2], m[3]);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a sample`);
    const family = [m[1], ...SUFFIXES.filter((s) => m[1].endsWith(s)).map((s) => m[1].slice(0, -s.length))].find((f) =>
      typed.has(f),
    );
    if (!family) throw new Error(`${where}: sample of a family with no # TYPE before it`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest !== '') {
      const pair = LABEL_PAIR.exec(rest);
      if (!pair) throw new Error(`${where}: bad label list at ${JSON.stringify(rest)}`);
      if (pair[1] in labels) throw new Error(`${where}: label ${pair[1]} twice`);
      labels[pair[1]] = pair[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(pair[0].length);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3] === 'NaN' ? NaN : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`${where}: value is not a number`);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. */
export function sumOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
