import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { ConfigIssues, formatIssue } from '../../../../core/config/issues.js';
import { loadConfig } from '../../../../core/config/load.js';

function write(text: string, name = 'pipes.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function problems(text: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadConfig([write(text)], { builtins, env });
  } catch (err) {
    if (err instanceof ConfigIssues) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('loading pipeline files', () => {
  it('loads a valid file into pipelines with defaults applied', async () => {
    const config = await loadConfig(
      [
        write(
          'pipelines:\n  demo:\n    source: { type: generate, count: 5 }\n    topic: demo\n    sinks:\n      - type: stdout\n',
        ),
      ],
      { builtins, env: {} },
    );
    expect(config.pipelines).toHaveLength(1);
    const [p] = config.pipelines;
    expect(p.topic).toBe('demo');
    expect(p.deadLetterTopic).toBe('demo.dlq');
    expect(p.sinks[0].subscription).toBe('demo.stdout-0');
    expect(p.sinks[0].batch.maxEvents).toBe(500);
    expect(config.topics.get('demo')?.partitions).toBe(4);
    expect(config.redis).toBeUndefined();
  });

  it('names file, line and column and suggests the key for a misspelling', async () => {
    const text = [
      'pipelines:',
      '  demo:',
      '    source:',
      '      type: generate',
      '      cuont: 5',
      '    topic: demo',
      '',
    ].join('\n');
    const [message] = await problems(text);
    expect(message).toMatch(
      /unknown key "cuont" in pipelines\.demo\.source \(generate\) at .*pipes\.yaml:5:7 — did you mean "count"\?/,
    );
  });

  it('suggests the closest type for an unknown type', async () => {
    const [message] = await problems('pipelines:\n  demo:\n    source: { type: generte }\n    topic: demo\n');
    expect(message).toMatch(/unknown source type "generte" .*pipes\.yaml:3:\d+ — did you mean "generate"\?/);
  });

  it('finds misspelled keys at the pipeline and top level too', async () => {
    const list = await problems('pipeline:\n  demo: {}\n');
    expect(list[0]).toMatch(/unknown key "pipeline" .*:1:1 — did you mean "pipelines"\?/);
    const nested = await problems('pipelines:\n  demo:\n    source: { type: generate }\n    topik: demo\n');
    expect(nested.join('\n')).toMatch(/unknown key "topik" .*:4:5 — did you mean "topic"\?/);
  });

  it('reports a missing ${VAR} with where it is used and how to give a default', async () => {
    const [message] = await problems(
      'pipelines:\n  demo:\n    source: { type: generate, count: "${COUNT}" }\n    topic: demo\n',
    );
    expect(message).toMatch(
      /environment variable COUNT is not set at .*pipes\.yaml:3:\d+ — set COUNT, or give a default with \$\{COUNT:-value\}/,
    );
  });

  it('interpolates ${VAR}, ${VAR:-default} and ${file:path}, typing a whole-value number', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    writeFileSync(join(dir, 'topic.txt'), 'from-file\n');
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'pipelines:\n  demo:\n    source: { type: generate, count: "${N}", rate: "${RATE:-7}" }\n    topic: "${file:topic.txt}"\n    sinks: [ { type: stdout } ]\n',
    );
    const config = await loadConfig([file], { builtins, env: { N: '3' } });
    const p = config.pipelines[0];
    expect(p.topic).toBe('from-file');
    expect(p.source?.config).toMatchObject({ count: 3, rate: 7 });
  });

  it('rejects values of the wrong type with the field and the expected type', async () => {
    const [message] = await problems(
      'pipelines:\n  demo:\n    source: { type: generate, count: lots }\n    topic: demo\n',
    );
    expect(message).toMatch(
      /invalid "count" in pipelines\.demo\.source \(generate\): expected number, received string at .*:3:\d+/,
    );
  });

  it('says which pipelines have nowhere to send events', async () => {
    const [message] = await problems('pipelines:\n  demo:\n    source: { type: generate }\n');
    expect(message).toMatch(/has a source but nowhere to put its events/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const [message] = await problems('pipelines:\n  demo: [\n');
    expect(message).toMatch(/YAML: .* at .*pipes\.yaml:\d+:\d+/);
  });

  it('collects every problem of a file, not only the first', async () => {
    const list = await problems(
      'pipelines:\n  a:\n    source: { type: nope }\n    topic: a\n  b:\n    topic: b\n    sinks: [ { type: stdout, formt: x } ]\n',
    );
    expect(list.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps a secret out of every message it could appear in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    writeFileSync(join(dir, 'pw'), 'hunter2-very-secret');
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      'redis: redis://:${file:pw}@127.0.0.1:6379\npipelines:\n  demo:\n    source: { type: generate }\n    topic: demo\n    sinks: [ { type: stdout } ]\n',
    );
    const config = await loadConfig([file], { builtins, env: {} });
    expect(config.redactor.text(`cannot connect to ${config.redis?.url}`)).not.toContain('hunter2-very-secret');
  });

  it('loads every YAML file of a folder, and refuses a pipeline declared twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
    writeFileSync(join(dir, 'a.yaml'), 'pipelines:\n  one:\n    source: { type: generate }\n    topic: t\n');
    writeFileSync(join(dir, 'b.yml'), 'pipelines:\n  two:\n    topic: t\n    sinks: [ { type: stdout } ]\n');
    const config = await loadConfig([dir], { builtins, env: {} });
    expect(config.pipelines.map((p) => p.name)).toEqual(['one', 'two']);
    writeFileSync(join(dir, 'c.yaml'), 'pipelines:\n  one:\n    topic: t\n    sinks: [ { type: stdout } ]\n');
    await expect(loadConfig([dir], { builtins, env: {} })).rejects.toThrow(/pipeline "one" is also declared in/);
  });

  it('refuses an encryption key written in the file, and takes one given as ${NAME}', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const pipeline = (value: string) =>
      `pipelines:\n  p:\n    source: { type: generate }\n    processors:\n      - { type: aes-gcm, keys: { k1: '${value}' } }\n    topic: t\n`;
    const [message] = await problems(pipeline(key));
    expect(message).toMatch(
      /"keys\.k1" in pipelines\.p\.processors\[0\] \(aes-gcm\) is written in the file at .*:5:\d+ — give it as \$\{NAME\} or \$\{file:path\}/,
    );
    expect(message).not.toContain(key);
    const config = await loadConfig([write(pipeline('${ARCHIVE_KEY}'))], { builtins, env: { ARCHIVE_KEY: key } });
    expect(config.redactor.text(`key is ${key}`)).toBe('key is ***');
  });

  it('says "did you mean" for a misspelled type, once, instead of a missing value', async () => {
    const found = await problems('pipelines:\n  p:\n    source: { tpye: generate }\n    topic: t\n');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^unknown key "tpye" in pipeline file at pipelines\.p\.source at .*:3:15 — did you mean "type"\?$/,
    );
  });

  it('reports an unknown key of a plugin once', async () => {
    const found = await problems('pipelines:\n  p:\n    source: { type: generate, cuont: 3 }\n    topic: t\n');
    expect(found).toEqual([
      expect.stringMatching(
        /^unknown key "cuont" in pipelines\.p\.source \(generate\) at .*:3:31 — did you mean "count"\?$/,
      ),
    ]);
  });

  it('refuses a duration longer than a timer can wait, saying the maximum', async () => {
    const [message] = await problems(
      'pipelines:\n  p:\n    topic: t\n    batch: { maxWait: 30d }\n    sinks: [ { type: stdout } ]\n',
    );
    expect(message).toMatch(
      /"pipelines\.p\.batch\.maxWait" .*"30d" is too long: .*2147483647 ms \(about 24\.8 days\) at .*:4:23/,
    );
  });

  it('keeps a retention age of months, which no timer waits on', async () => {
    const config = await loadConfig(
      [
        write(
          'topics:\n  t: { retention: { maxAge: 365d } }\npipelines:\n  p:\n    topic: t\n    sinks: [ { type: stdout } ]\n',
        ),
      ],
      { builtins, env: {} },
    );
    expect(config.topics.get('t')?.retention?.maxAgeMs).toBe(365 * 86_400_000);
  });

  it('refuses hostile YAML with a position: alias bombs, endless aliases, missing anchors, prototype keys', async () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...[1, 2, 3].map(
        (i) =>
          `b${i}: &b${i} [${Array(10)
            .fill(i === 1 ? '*a' : `*b${i - 1}`)
            .join(', ')}]`,
      ),
      'pipelines: *b3',
    ].join('\n');
    expect(await problems(bomb)).toEqual([
      expect.stringMatching(/YAML: aliases expand to more than 100 copies .* at .*:2:\d+/),
    ]);
    expect(await problems('pipelines: &p\n  demo: *p\n')).toEqual([
      expect.stringMatching(/YAML: alias \*p sits inside the value of its own anchor.* at .*:2:9/),
    ]);
    expect(await problems('pipelines:\n  demo: *nope\n')).toEqual([
      expect.stringMatching(/YAML: alias \*nope has no anchor &nope before it at .*:2:9/),
    ]);
    const proto = await problems(
      'pipelines:\n  p:\n    source: { type: generate, constructor: 1 }\n    topic: t\n    sinks: [ { type: stdout, toString: x } ]\n',
    );
    expect(proto).toEqual([
      expect.stringMatching(/unknown key "constructor" in pipelines\.p\.source \(generate\) at .*:3:31/),
      expect.stringMatching(/unknown key "toString" in pipelines\.p\.sinks\[0\] \(stdout\) at .*:5:30/),
    ]);
  });

  it('refuses a list or a mapping used as a key, with its position, and no warning of the YAML library', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(await problems('pipelines:\n  p: { [x]: 1 }\n')).toEqual([
        expect.stringMatching(/YAML: a key must be a plain value such as a name, not a list or a mapping at .*:2:8/),
      ]);
      expect(await problems('pipelines:\n  p:\n    ? { a: 1 }\n    : 1\n')).toEqual([
        expect.stringMatching(/not a list or a mapping at .*:3:7/),
      ]);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('runs the start-up checks of plugins before anything starts: JSONata, function modules, JSON Schemas', async () => {
    const pipeline = (processor: string) =>
      `pipelines:\n  p:\n    source: { type: generate, count: 1 }\n    processors:\n      - ${processor}\n    topic: t\n`;
    expect(await problems(pipeline("{ type: filter, where: 'value + ((' }"))).toEqual([
      expect.stringMatching(
        /^invalid "where" in pipelines\.p\.processors\[0\] \(filter\): "value \+ \(\(" is not a valid JSONata expression: .* at .*:5:32$/,
      ),
    ]);
    expect(await problems(pipeline('{ type: function, module: ./missing.ts }'))).toEqual([
      expect.stringMatching(
        /^pipelines\.p\.processors\[0\] \(function\): function module "\.\/missing\.ts" was not found at .*missing\.ts at .*:5:35 — paths are relative to the pipeline file$/,
      ),
    ]);
    expect(await problems(pipeline('{ type: json-schema, schema: { type: objekt } }'))).toEqual([
      expect.stringMatching(
        /^pipelines\.p\.processors\[0\] \(json-schema\): json-schema: the inline schema is not a valid JSON Schema: .* at .*:5:38$/,
      ),
    ]);
  });

  it('says which template syntax belongs where when one is used in a JSONata field', async () => {
    const [message] = await problems(
      "pipelines:\n  p:\n    source: { type: generate }\n    processors: [ { type: filter, where: '{{ value.x }}' } ]\n    topic: t\n",
    );
    expect(message).toContain('{{ }} belongs in HTTP URLs only: in JSONata write the path itself');
  });
});
