// `sluice test`: pipeline unit tests in YAML, and the test file each shipped template comes with.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

const PIPELINE = `pipelines:
  fast:
    topic: gps
    processors:
      - { type: filter, where: 'value.speed > 50' }
      - { type: map, expression: '{ "car": key, "kmh": value.speed }' }
    sinks: [ { type: stdout } ]
  gps-in:
    source: { type: generate, count: 1 }
    topic: gps
`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('sluice test', () => {
  it('passes every test file shipped with the templates, one per template', async () => {
    const templates = readdirSync('templates/pipelines').filter((f) => f.endsWith('.yaml'));
    const tests = readdirSync('templates/tests').filter((f) => f.endsWith('.test.yaml'));
    expect(tests.map((t) => t.replace('.test.yaml', '.yaml')).sort()).toEqual(templates.sort());
    const r = await runCli(['test', ...tests.map((t) => join('templates/tests', t))], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // At least one case per template file (a file may hold several).
    const passed = Number(/(\d+) passed, 0 failed/.exec(r.stdout)?.[1] ?? 0);
    expect(passed).toBeGreaterThanOrEqual(tests.length);
  }, 300_000);

  it('exits 1 with a diff of expected and actual events when a case fails, and 0 for the cases that hold', async () => {
    const dir = folder({
      'gps.yaml': PIPELINE,
      'gps.test.yaml': `pipelines: gps.yaml
tests:
  - name: keeps fast cars
    pipeline: fast
    input: [ { key: car-1, value: { speed: 80 } }, { key: car-2, value: { speed: 20 } } ]
    expect: [ { value: { car: car-1, kmh: 80 } } ]
  - name: wrongly expects the slow car too
    pipeline: fast
    input: [ { key: car-2, value: { speed: 20 } } ]
    expect: [ { value: { car: car-2, kmh: 20 } } ]
`,
    });
    const r = await runCli(['test', join(dir, 'gps.test.yaml')], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ok {4}.*gps\.test\.yaml: keeps fast cars/);
    expect(r.stdout).toMatch(
      /FAIL {2}.*wrongly expects the slow car too\n {2}event 0:\n {4}- expected \{"value":\{"car":"car-2","kmh":20\}\}\n {4}\+ actual {3}\(nothing\)/,
    );
    expect(r.stdout).toMatch(/1 passed, 1 failed/);
  }, 300_000);

  it('refuses a test file with a misspelled key or an unknown pipeline with exit 2 and the position', async () => {
    const dir = folder({
      'gps.yaml': PIPELINE,
      'typo.test.yaml':
        'pipelines: gps.yaml\ntests:\n  - name: x\n    pipeline: fast\n    inputs: []\n    expect: []\n',
      'unknown.test.yaml':
        'pipelines: gps.yaml\ntests:\n  - name: x\n    pipeline: slow\n    input: []\n    expect: []\n',
    });
    const typo = await runCli(['test', join(dir, 'typo.test.yaml')], { timeoutMs: 120_000 });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown key "inputs" in test file at .*typo\.test\.yaml:5:5/);
    const unknown = await runCli(['test', join(dir, 'unknown.test.yaml')], { timeoutMs: 120_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /no pipeline "slow" in the files under test at .*unknown\.test\.yaml:4:15 — pipelines: fast, gps-in/,
    );
  }, 300_000);
});
