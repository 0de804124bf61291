// `sluice test <files>`: pipeline unit tests declared in YAML. Each case sends input events through one
// pipeline's processor chain (the sinks are replaced by the test) and compares what comes out with what it
// expects; a failing case prints a diff and the command exits 1. Bad test files exit 2 like bad pipelines.

import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { type ConfigIssue, ConfigIssues, formatPath } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { ComponentSpec, LoadedConfig, PipelineSpec } from '../config/pipeline-spec.js';
import { YamlFile } from '../config/yaml-file.js';
import { findUnknownKeys } from '../config/zod-walk.js';
import type { SluiceEvent } from '../event.js';
import type { ProcessorPlugin } from '../plugin.js';
import type { PluginEntry } from '../registry.js';
import { ProcessorChain } from '../runtime/chain.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';
import { silentContext } from './silent-context.js';

const FIXED_TS = 1_700_000_000_000;

const eventSchema = z.object({
  key: z.string().nullable().optional().describe('Event key (default: null).'),
  value: z.unknown().describe('Event value.'),
  ts: z.number().optional().describe(`Event time, epoch ms (default: ${FIXED_TS}).`),
  headers: z.record(z.string(), z.string()).optional().describe('Headers (default: none).'),
});

const caseSchema = z.object({
  name: z.string().min(1).describe('What the case shows.'),
  pipeline: z.string().min(1).describe('Pipeline whose processors the events go through.'),
  sink: z
    .string()
    .optional()
    .describe('For a pipeline without a source: the sink (by name) whose chain runs. Default: the first sink.'),
  input: z.array(eventSchema).describe('Events sent in, in order, as one batch.'),
  expect: z.array(eventSchema.partial()).describe('Events expected out, in order; only the fields given are compared.'),
  rejected: z.number().int().min(0).default(0).describe('How many events the chain should dead-letter.'),
});

export const testFileSchema = z.object({
  pipelines: z.union([z.string(), z.array(z.string())]).describe('Pipeline files under test, relative to this file.'),
  env: z.record(z.string(), z.string()).default({}).describe('Variables for ${VAR} in the pipeline files.'),
  tests: z.array(caseSchema).min(1).describe('The cases.'),
});

type TestCase = z.output<typeof caseSchema>;

export async function testCommand(paths: string[], builtins: readonly PluginEntry[]): Promise<number> {
  let failed = 0;
  let passed = 0;
  try {
    for (const path of paths) {
      const { file, spec } = readTestFile(path);
      const base = dirname(file.path);
      const pipelinePaths = [spec.pipelines].flat().map((p) => resolve(base, p));
      const config = await loadConfig(pipelinePaths, { builtins, env: { ...process.env, ...spec.env } });
      for (const [i, c] of spec.tests.entries()) {
        const diff = await runCase(c, config, file, i);
        if (diff === undefined) {
          passed++;
          process.stdout.write(`ok    ${file.display}: ${c.name}\n`);
        } else {
          failed++;
          process.stdout.write(`FAIL  ${file.display}: ${c.name}\n${diff}\n`);
        }
      }
    }
  } catch (err) {
    return reportError(err);
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? EXIT.failure : EXIT.ok;
}

function readTestFile(path: string): { file: YamlFile; spec: z.output<typeof testFileSchema> } {
  const file = new YamlFile(resolve(path));
  if (file.parseIssues.length > 0) throw new ConfigIssues(file.parseIssues);
  const issues: ConfigIssue[] = findUnknownKeys(testFileSchema, file.value).map((u) =>
    file.issueAt(u.path, `unknown key "${u.key}" in test file`, `known keys: ${u.known.join(', ')}`, u.key),
  );
  const parsed = testFileSchema.safeParse(file.value);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      issues.push(
        file.issueAt(
          i.path as Array<string | number>,
          `invalid "${formatPath(i.path as Array<string | number>)}" in test file: ${i.message}`,
        ),
      );
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigIssues(issues);
  return { file, spec: parsed.data };
}

function chainOf(c: TestCase, pipeline: PipelineSpec): ComponentSpec<ProcessorPlugin>[] | string {
  if (pipeline.source) return pipeline.inbound;
  const sink =
    c.sink === undefined
      ? pipeline.sinks[0]
      : pipeline.sinks.find((s) => s.subscription === `${pipeline.name}.${c.sink}`);
  if (!sink) return `pipeline "${pipeline.name}" has no sink named "${c.sink}"`;
  return sink.processors;
}

async function runCase(c: TestCase, config: LoadedConfig, file: YamlFile, index: number): Promise<string | undefined> {
  const pipeline = config.pipelines.find((p) => p.name === c.pipeline);
  if (!pipeline) {
    const names = config.pipelines.map((p) => p.name).join(', ');
    throw new ConfigIssues([
      file.issueAt(
        ['tests', index, 'pipeline'],
        `no pipeline "${c.pipeline}" in the files under test`,
        `pipelines: ${names}`,
      ),
    ]);
  }
  const specs = chainOf(c, pipeline);
  if (typeof specs === 'string') throw new ConfigIssues([file.issueAt(['tests', index, 'sink'], specs)]);
  const steps = [];
  for (const s of specs)
    steps.push({
      label: s.label,
      instance: await s.plugin.create(s.config, silentContext(pipeline.name, pipeline.baseDir)),
    });
  const chain = new ProcessorChain(steps);
  try {
    const input: SluiceEvent[] = c.input.map((e) => ({
      key: e.key ?? null,
      value: e.value,
      ts: e.ts ?? FIXED_TS,
      headers: e.headers ?? {},
    }));
    const out = await chain.run(input);
    return diff(c, out.events, out.rejected.length);
  } finally {
    await chain.close();
  }
}

function diff(c: TestCase, actual: SluiceEvent[], rejected: number): string | undefined {
  const lines: string[] = [];
  const n = Math.max(c.expect.length, actual.length);
  for (let i = 0; i < n; i++) {
    const want = c.expect[i];
    const got = actual[i];
    const shown =
      got && want ? Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof SluiceEvent]])) : got;
    if (want && got && isDeepStrictEqual(shown, want)) continue;
    lines.push(`  event ${i}:`);
    lines.push(`    - expected ${want ? JSON.stringify(want) : '(nothing)'}`);
    lines.push(`    + actual   ${shown ? JSON.stringify(shown) : '(nothing)'}`);
  }
  if (rejected !== c.rejected) lines.push(`  dead-lettered: expected ${c.rejected}, actual ${rejected}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}
