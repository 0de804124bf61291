// Hostile and mangled pipeline files: every one is either valid or refused with exit 2 and a position for each
// problem, each problem said once; the loader never crashes. Runs in-process through the same loader that
// `validate` and `run` use, so thousands of files take seconds, not thousands of process starts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { builtins } from '../../builtins.js';
import { EXIT } from '../../core/cli/exit-codes.js';
import { reportError } from '../../core/cli/report-error.js';
import { ConfigIssues, formatIssue } from '../../core/config/issues.js';
import { loadConfig } from '../../core/config/load.js';
import { recordFigure, sized } from '../harness/figures.js';

const TEMPLATES = join(import.meta.dirname, '../../templates/pipelines');
const work = mkdtempSync(join(tmpdir(), 'sluice-config-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Written beside the templates' own folder layout so that relative `plugins:` paths resolve as shipped.
const templates = readdirSync(TEMPLATES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, value: parse(readFileSync(join(TEMPLATES, f), 'utf8')) as unknown }));

const HOSTILE_KEYS = ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf', 'prototype', 'tpye', ''];
const HOSTILE_VALUES: unknown[] = [
  '30d',
  '9999999999d',
  '${NOT_SET}',
  '${:-}',
  '${file:/nonexistent}',
  '{{ value.x }}',
  '{first}',
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  null,
  true,
  [],
  {},
  'value + ((',
  '\u0000',
];

type Mutation =
  | { kind: 'renameKey'; at: number; to: string }
  | { kind: 'replaceValue'; at: number; with: unknown }
  | { kind: 'deleteKey'; at: number }
  | { kind: 'addKey'; at: number; key: string; value: unknown }
  | { kind: 'nest'; at: number; depth: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('renameKey' as const),
    at: fc.nat(),
    to: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 })),
  }),
  fc.record({
    kind: fc.constant('replaceValue' as const),
    at: fc.nat(),
    with: fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.jsonValue({ maxDepth: 3 })),
  }),
  fc.record({ kind: fc.constant('deleteKey' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('addKey' as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 })),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ kind: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 200 }) }),
);

/** Every object (and array) in the value, so that a mutation can pick one by index. */
function containers(value: unknown, out: Array<Record<string, unknown> | unknown[]> = []) {
  if (value !== null && typeof value === 'object') {
    out.push(value as Record<string, unknown>);
    for (const v of Object.values(value)) containers(v, out);
  }
  return out;
}

function mutate(value: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(value);
  for (const m of mutations) {
    const all = containers(copy);
    const target = all[m.at % all.length];
    const keys = Object.keys(target);
    const key = keys.length > 0 ? keys[m.at % keys.length] : undefined;
    const slot = target as Record<string, unknown>;
    if (m.kind === 'renameKey' && key !== undefined && !Array.isArray(target)) {
      const v = slot[key];
      delete slot[key];
      Object.defineProperty(slot, m.to, { value: v, enumerable: true, writable: true, configurable: true });
    } else if (m.kind === 'replaceValue' && key !== undefined) slot[key] = m.with;
    else if (m.kind === 'deleteKey' && key !== undefined && !Array.isArray(target)) delete slot[key];
    else if (m.kind === 'addKey' && !Array.isArray(target))
      Object.defineProperty(slot, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else if (m.kind === 'nest' && key !== undefined) {
      let v: unknown = slot[key];
      for (let i = 0; i < m.depth; i++) v = [v];
      slot[key] = v;
    }
  }
  return copy;
}

const mutatedTemplate = fc
  .record({ template: fc.constantFrom(...templates), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) })
  .map(({ template, mutations }) => stringify(mutate(template.value, mutations), { aliasDuplicateObjects: false }));

const anchorName = fc.stringMatching(/^[a-z]{1,4}$/);
const hostileYaml: fc.Arbitrary<string> = fc.oneof(
  // Alias bombs: each level repeats the one before it.
  fc
    .record({ width: fc.integer({ min: 2, max: 12 }), depth: fc.integer({ min: 2, max: 9 }) })
    .map(({ width, depth }) => {
      const lines = ['a0: &a0 [x, x, x]'];
      for (let d = 1; d < depth; d++)
        lines.push(
          `a${d}: &a${d} [${Array(width)
            .fill(`*a${d - 1}`)
            .join(', ')}]`,
        );
      return `${lines.join('\n')}\npipelines: *a${depth - 1}\n`;
    }),
  // An alias inside the value of its own anchor.
  fc
    .record({ name: anchorName, inSeq: fc.boolean() })
    .map(({ name, inSeq }) =>
      inSeq ? `pipelines: &${name} [*${name}]\n` : `pipelines: &${name}\n  demo:\n    source: *${name}\n`,
    ),
  // Aliases that name no anchor (or one set after them).
  anchorName.map((name) => `pipelines:\n  demo: *${name}\n  late: &${name} { topic: x }\n`),
  // Deep nesting in flow and block style.
  fc
    .record({ depth: fc.integer({ min: 50, max: 5000 }), flow: fc.boolean() })
    .map(({ depth, flow }) =>
      flow
        ? `pipelines: ${'['.repeat(depth)}${']'.repeat(depth)}\n`
        : `pipelines:\n${Array.from({ length: Math.min(depth, 400) }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n')} 1\n`,
    ),
  // Keys that name Object.prototype's members, at each level.
  fc
    .record({ key: fc.constantFrom(...HOSTILE_KEYS.filter((k) => k !== '')), level: fc.integer({ min: 0, max: 4 }) })
    .map(({ key, level }) =>
      [
        `${level === 0 ? `${key}: 1\n` : ''}pipelines:`,
        `  demo:${level === 1 ? `\n    ${key}: {}` : ''}`,
        `    source: { type: generate, count: 1${level === 2 ? `, ${key}: 1` : ''} }`,
        '    sinks:',
        `      - type: stdout${level === 3 ? `\n        ${key}: [1]` : ''}`,
        `        batch: { maxEvents: 1${level === 4 ? `, ${key}: x` : ''} }`,
      ].join('\n'),
    ),
  // Arbitrary text made of YAML's punctuation.
  fc
    .array(
      fc.constantFrom(
        'pipelines:',
        '\n',
        '  ',
        '- ',
        '&a ',
        '*a ',
        '{',
        '}',
        '[',
        ']',
        ':',
        '? ',
        '!!str ',
        '!x ',
        '---\n',
        '"',
        "'",
        '#',
        '|',
        '>',
        '\t',
        'type: stdout',
        '<<: ',
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join('')),
  fc.string({ maxLength: 200 }),
);

const silent = new Writable({ write: (_c, _e, done) => done() });

interface Outcome {
  held: boolean;
  why?: string;
}

async function check(text: string, n: number): Promise<Outcome> {
  const file = join(work, `fuzz-${n % 8}.yaml`);
  writeFileSync(file, text);
  try {
    await loadConfig([file], { builtins, env: {} });
    return { held: true };
  } catch (err) {
    if (!(err instanceof ConfigIssues)) return { held: false, why: `crashed: ${String((err as Error)?.stack ?? err)}` };
    if (reportError(err, undefined, silent) !== EXIT.config) return { held: false, why: 'exit code is not 2' };
    const lines = err.issues.map(formatIssue);
    const unplaced = err.issues.find((i) => !(i.line >= 1 && i.col >= 1));
    if (unplaced) return { held: false, why: `no position: ${formatIssue(unplaced)}` };
    if (new Set(lines).size !== lines.length) return { held: false, why: `an issue twice:\n${lines.join('\n')}` };
    return { held: true };
  }
}

describe('fuzzed pipeline files', () => {
  it('are refused with exit 2 and a position for every problem, each said once, and never crash the loader', async () => {
    const generated = sized({ full: 10_000, reduced: 300 });
    const samples = fc.sample(fc.oneof(mutatedTemplate, hostileYaml), { numRuns: generated, seed: 16_010 });
    // Unclosed nested flows, on which the YAML parser repeats itself (found by the full run).
    samples.push(`[[["#---\n`, `{pipelines:\n  a: [[ {{\n`);
    const tries = samples.length;
    let held = 0;
    const failures: string[] = [];
    for (const [n, text] of samples.entries()) {
      const outcome = await check(text, n);
      if (outcome.held) held++;
      else if (failures.length < 5) failures.push(`${outcome.why}\n--- file ---\n${text.slice(0, 600)}`);
    }
    recordFigure({
      suite: 'security',
      case: 'fuzzed configs → exit 2 with a position',
      tries,
      held,
      crashed: tries - held,
    });
    expect(failures).toEqual([]);
    expect(held).toBe(tries);
  }, 600_000);
});
