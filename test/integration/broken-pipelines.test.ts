// The corpus of broken pipeline files (test/fixtures/broken-pipelines): each is wrong in one known way, and its
// first line says where and how that must be reported. Every file is checked in-process through the loader that
// `validate` and `run` share; a few go through real `validate` and `run` processes to show both say the same.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { EXIT } from '../../core/cli/exit-codes.js';
import { reportError } from '../../core/cli/report-error.js';
import { ConfigIssues, formatIssue } from '../../core/config/issues.js';
import { loadConfig } from '../../core/config/load.js';
import { runCli } from '../harness/run-cli.js';

const DIR = 'test/fixtures/broken-pipelines';
const corpus = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => {
    const path = join(DIR, name);
    const header = /^# expect (\d+):(\d+) (.*)$/m.exec(readFileSync(path, 'utf8'));
    if (!header) throw new Error(`${path} has no "# expect line:col message" first line`);
    return { name, path, line: Number(header[1]), col: Number(header[2]), message: header[3] };
  });

const silent = new Writable({ write: (_c, _e, done) => done() });

describe('the corpus of broken pipeline files', () => {
  it('holds at least 100 files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
  });

  it.each(corpus)('$name is refused with exit 2 at its line and column, each problem once', async (c) => {
    const error = await loadConfig([c.path], { builtins, env: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error, 'the file was accepted').toBeInstanceOf(ConfigIssues);
    const issues = (error as ConfigIssues).issues;
    const lines = issues.map(formatIssue);
    expect(
      issues.some((i) => i.line === c.line && i.col === c.col && formatIssue(i).includes(c.message)),
      `expected "${c.message}" at ${c.line}:${c.col}, got:\n${lines.join('\n')}`,
    ).toBe(true);
    expect(new Set(lines).size, 'a problem reported twice').toBe(lines.length);
    expect(reportError(error, undefined, silent)).toBe(EXIT.config);
  });

  it('gets the same messages from `validate` and `run`, both exiting 2 and starting nothing', async () => {
    const sample = ['tpye', 'jsonata-filter-dangling', 'check-function-missing', 'yaml-self-alias'].map((part) => {
      const found = corpus.find((c) => c.name.includes(part));
      if (!found) throw new Error(`no corpus file named like ${part}`);
      return found;
    });
    for (const c of sample) {
      const validate = await runCli(['validate', c.path], { timeoutMs: 120_000 });
      const run = await runCli(['run', c.path], { timeoutMs: 120_000 });
      expect(validate.code, c.name).toBe(2);
      expect(run.code, c.name).toBe(2);
      expect(validate.stderr, c.name).toContain(`${c.path}:${c.line}:${c.col}`);
      expect(run.stderr, c.name).toBe(validate.stderr);
      expect(run.stdout, c.name).toBe('');
    }
  }, 600_000);
});
