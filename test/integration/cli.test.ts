import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtins } from '../../builtins.js';
import { buildProgram } from '../../core/cli/main.js';
import { runCli } from '../harness/run-cli.js';

const addFormats = addFormatsModule.default;

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  const path = join(dir, 'pipes.yaml');
  writeFileSync(path, text);
  return path;
}

const lines = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the sluice command', () => {
  it('runs the quickstart with nothing installed: prints its events and exits 0 after its count', async () => {
    const r = await runCli(['run', 'templates/pipelines/quickstart.yaml']);
    expect(r.code).toBe(0);
    const events = lines(r.stdout);
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.key))).toEqual(new Set(['car_id_1', 'car_id_2', 'car_id_3']));
    for (const e of events) expect(e.value).toEqual([expect.any(Number), expect.any(Number)]);
  });

  it('turns the three shapes users send into events with the right key, value and ts (stdio template)', async () => {
    const input = [
      '"hello"',
      '42',
      '{"key":"car_id_1","value":[43.82,-79.48]}',
      '{"key":"patient_id","value":[125,85],"timestamp":"2021-07-01T12:00:00Z"}',
      '',
    ].join('\n');
    const before = Date.now();
    const r = await runCli(['run', 'templates/pipelines/stdio.yaml'], { input });
    expect(r.code).toBe(0);
    const events = lines(r.stdout);
    const byValue = (v: unknown) => events.find((e) => JSON.stringify(e.value) === JSON.stringify(v));
    expect(byValue('hello')).toMatchObject({ key: null });
    expect(byValue(42)).toMatchObject({ key: null });
    expect(byValue([43.82, -79.48])).toMatchObject({ key: 'car_id_1' });
    expect(byValue([125, 85])).toMatchObject({ key: 'patient_id', ts: Date.UTC(2021, 6, 1, 12) });
    expect(byValue('hello')?.ts as number).toBeGreaterThanOrEqual(before - 1000);
  });

  it('exits 2 with file:line:col and a suggestion for a misspelled key, and starts nothing', async () => {
    const path = file(
      'pipelines:\n  demo:\n    source: { type: generate, count: 3 }\n    topic: demo\n    sinks:\n      - type: stdout\n        formt: ndjson\n',
    );
    const r = await runCli(['run', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown key "formt" in pipelines\.demo\.sinks\[0\] \(stdout\) at .*pipes\.yaml:7:9 — did you mean "format"\?/,
    );
    expect(r.stdout).toBe('');
  });

  it('exits 2 for an unknown type, naming the closest one', async () => {
    const r = await runCli(['validate', file('pipelines:\n  demo:\n    source: { type: genrate }\n    topic: demo\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown source type "genrate" .*pipes\.yaml:3:\d+ — did you mean "generate"\?/);
  });

  it('exits 2 for a missing ${VAR}', async () => {
    const r = await runCli(
      [
        'run',
        file(
          'pipelines:\n  demo:\n    source: { type: generate, count: "${HOW_MANY}" }\n    topic: demo\n    sinks: [ { type: stdout } ]\n',
        ),
      ],
      { env: { HOW_MANY: undefined } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment variable HOW_MANY is not set at .*pipes\.yaml:3:\d+/);
    expect(r.stdout).toBe('');
  });

  it('prints a JSON Schema that every template pipeline validates against', async () => {
    const dir = 'templates/pipelines';
    const templates = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    // Templates may name plugins of their own; the schema covers them when told about them, as an editor setup would.
    const plugins = templates.flatMap((t) =>
      ((parse(readFileSync(join(dir, t), 'utf8')) as { plugins?: string[] }).plugins ?? []).map((p) => join(dir, p)),
    );
    const r = await runCli(['schema', ...(plugins.length > 0 ? ['--plugin', ...plugins.map((p) => `./${p}`)] : [])]);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    // Strict mode, as editors and CI linters run it; `format: uri` needs the formats an editor knows.
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(templates.length).toBeGreaterThanOrEqual(2);
    for (const t of templates) {
      // As written: `${VAR:-default}` stands where numbers go, which the loader resolves before validating.
      const ok = validate(parse(readFileSync(join(dir, t), 'utf8')));
      expect(ok, `${t}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
    expect(validate({ pipelines: { p: { source: { type: 'generate', cuont: 1 }, topic: 't' } } })).toBe(false);
    expect(validate({ pipelinez: {} }), 'a misspelled top-level key').toBe(false);
    expect(validate({ pipelines: { p: { topic: 't', batch: { maxEvents: '${N:-5}' }, sinks: [] } } })).toBe(true);
    expect(validate({ pipelines: { p: { topic: 't', batch: { maxEvents: 'five' }, sinks: [] } } })).toBe(false);
  });

  it('runs the first pipeline of the README as written and prints what README says it prints', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const yaml = /Save this as `rooms.yaml`:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const path = file(yaml as string);
    const checked = await runCli(['validate', path], { timeoutMs: 120_000 });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    const said = /prints the (\d+) of the (\d+) readings above (\d+) °C/.exec(readme.replace(/\n/g, ' '));
    expect(said, 'README says how many readings the first pipeline prints').not.toBeNull();
    const [, printed, , above] = (said as RegExpExecArray).map(Number);
    const r = await runCli(['run', path], { cwd: join(path, '..'), timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    const events = lines(r.stdout);
    expect(events).toHaveLength(printed);
    for (const e of events) expect(e.value as number).toBeGreaterThan(above);
    const written = readdirSync(join(path, '..', 'out')).flatMap((f) =>
      lines(readFileSync(join(path, '..', 'out', f), 'utf8')),
    );
    expect(written).toHaveLength(printed);
  }, 300_000);

  it('keeps the generated plugin reference in docs/reference up to date', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-docs-'));
    const r = await runCli(['docs', '--out', out]);
    expect(r.code).toBe(0);
    for (const page of ['sources.md', 'processors.md', 'sinks.md']) {
      expect(
        readFileSync(join('docs/reference', page), 'utf8'),
        `docs/reference/${page} is stale: run npx sluice docs`,
      ).toBe(readFileSync(join(out, page), 'utf8'));
    }
  });

  it('lists every plugin with its summary', async () => {
    const r = await runCli(['plugins']);
    expect(r.code).toBe(0);
    for (const name of ['generate', 'stdin', 'stdout', 'file', 'json'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${name}\\s+\\S`));
  });

  it('ends quietly with exit 0 when the reader of its output goes away (`sluice plugins | head`)', async () => {
    const r = await runCli(['plugins'], { closeStdout: true });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(0);
  });

  it('has --help on every command and --version', async () => {
    // Help text is checked in-process: ten process starts would make this test as slow as the machine is busy.
    const { program } = buildProgram(builtins);
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(
      expect.arrayContaining([
        'run',
        'worker',
        'validate',
        'schema',
        'plugins',
        'status',
        'replay',
        'offsets',
        'docs',
        'config',
        'eval',
      ]),
    );
    for (const command of program.commands)
      expect(command.helpInformation(), command.name()).toMatch(/^Usage: sluice /);
    const worker = program.commands.find((c) => c.name() === 'worker');
    expect(worker?.helpInformation()).toMatch(/--grace <duration>[\s\S]*\(default: 30s\)/);
    const help = await runCli(['validate', '--help'], { timeoutMs: 120_000 });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: sluice validate/);
    const v = await runCli(['--version'], { timeoutMs: 120_000 });
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 300_000);

  it('refuses an unknown command and a log level it does not know with usage errors (exit 2)', async () => {
    const unknown = await runCli(['valdate', '--help'], { timeoutMs: 120_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "valdate" — did you mean "validate"\?/);
    expect(unknown.stdout).toBe('');
    const level = await runCli(['run', '--log-level', 'verbose', 'templates/pipelines/quickstart.yaml'], {
      timeoutMs: 120_000,
    });
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/'verbose' is invalid\. Allowed choices are trace, debug, info, warn, error/);
  }, 300_000);

  it('prints the resolved configuration with defaults filled in and secrets masked', async () => {
    const key = Buffer.alloc(32, 9).toString('base64');
    const path = file(
      'pipelines:\n  p:\n    source: { type: generate, count: "${N:-3}" }\n    processors: [ { type: aes-gcm, keys: { k1: "${KEY}" } } ]\n    topic: t\n  q:\n    topic: t\n    sinks: [ { type: stdout } ]\n',
    );
    const r = await runCli(['config', '--json', path], { env: { KEY: key }, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout);
    expect(config.pipelines.p.source).toMatchObject({ type: 'generate', count: 3, preset: expect.any(String) });
    expect(config.pipelines.q.sinks[0]).toMatchObject({ type: 'stdout', concurrency: 4, batch: { maxEvents: 500 } });
    expect(r.stdout).not.toContain(key);
  }, 300_000);

  it('evaluates a JSONata expression against an event, and refuses a broken one with exit 2', async () => {
    const r = await runCli(
      ['eval', '{ "car": key, "kmh": value.speed * 3.6 }', '--event', '{"key":"car-1","value":{"speed":10}}'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ car: 'car-1', kmh: 36 });
    const bad = await runCli(['eval', 'value.('], { timeoutMs: 120_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"value\.\(" is not a valid JSONata expression/);
  }, 300_000);

  it('warns about a subscription to a topic that nothing writes, suggesting the one meant', async () => {
    const path = file(
      'pipelines:\n  in:\n    source: { type: generate, count: 1 }\n    topic: gps\n  out:\n    topic: gsp\n    sinks: [ { type: stdout } ]\n',
    );
    const r = await runCli(['validate', path], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /warning: pipeline "out" subscribes to topic "gsp", which no pipeline writes and no `topics:` entry declares at .*:6:12 — did you mean "gps"\?/,
    );
  }, 300_000);

  it('shows a live status line on a terminal, and plain log lines instead of JSON', async () => {
    const path = file(
      'pipelines:\n  demo:\n    source: { type: generate, count: 0, rate: 200 }\n    topic: demo\n    sinks: [ { type: file, file: out.ndjson } ]\n',
    );
    const entry = 'test/harness/sluice-cli.ts';
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const r = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', `${process.execPath} --import tsx ${entry} run ${path}`, '/dev/null'], {
        env: { ...process.env, COLUMNS: '200' },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      // Stop once the status line has been drawn, however long the start took on a busy machine.
      const onData = () => {
        if (!/in \d+(\.\d+k?)?\/s {2}out/.test(out)) return;
        child.stdout.off('data', onData);
        setTimeout(() => child.kill('SIGINT'), 300);
      };
      child.stdout.on('data', onData);
      child.on('close', () => resolve(out));
    });
    expect(r).toMatch(/in \d+(\.\d+k?)?\/s {2}out \d+(\.\d+k?)?\/s {2}lag \d+/);
    expect(r).toMatch(/\d\d:\d\d:\d\d INFO {2}sluice started {2}mode=embedded/);
    expect(r).not.toMatch(/"level":30/);
  }, 120_000);

  it('drains on SIGINT and exits 0; a second signal exits at once', async () => {
    const path = file(
      'pipelines:\n  demo:\n    source: { type: generate, count: 0, rate: 200 }\n    topic: demo\n    sinks: [ { type: stdout } ]\n',
    );
    // Signals go once events flow, so that they reach a running pipeline rather than a process still loading.
    const onFirstOutput = (child: ChildProcess, act: () => void) =>
      child.stdout?.once('data', () => setTimeout(act, 300));
    const first = await runCli(['run', path], {
      onSpawn: (child) => onFirstOutput(child, () => child.kill('SIGINT')),
    });
    expect(first.code).toBe(0);
    expect(lines(first.stdout).length).toBeGreaterThan(0);
    // A sink that can never deliver keeps the drain waiting: only a second signal ends it, at once.
    const stuck = file(
      'pipelines:\n  demo:\n    source: { type: generate, count: 5 }\n    topic: demo\n    sinks: [ { type: http, url: "http://127.0.0.1:1/never" } ]\n',
    );
    const startedAt = Date.now();
    const second = await runCli(['run', stuck, '--grace', '60s'], {
      env: { SLUICE_LOG_LEVEL: 'info' },
      onSpawn: (child) =>
        child.stderr?.on('data', (d: Buffer) => {
          if (!d.toString().includes('sluice started')) return;
          setTimeout(() => child.kill('SIGINT'), 300);
          setTimeout(() => child.kill('SIGINT'), 1300);
        }),
    });
    expect(second.code).toBe(130);
    expect(second.stderr).toMatch(/second SIGINT; exiting now without draining/);
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  });
});
