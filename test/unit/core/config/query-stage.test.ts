import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { loadConfig } from '../../../../core/config/load.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-query-stage-')), 'p.yaml');
  writeFileSync(path, text);
  return path;
}

describe('the query stage of a pipeline', () => {
  it('reads its topic and gives its sinks the output topic, hopping when a hop is given', async () => {
    const config = await loadConfig(
      [
        file(`pipelines:
  averages:
    topic: gps
    query: { sql: "SELECT key, count(*) FROM gps GROUP BY key", window: 2m, hop: 1m, grace: 5s, output: per-car }
    sinks: [{ type: stdout }]
`),
      ],
      { builtins, env: {} },
    );
    const [p] = config.pipelines;
    expect(p.topic).toBe('per-car');
    expect(p.query).toMatchObject({ input: 'gps', window: 120_000, hop: 60_000, grace: 5000, every: 1000 });
    expect([...config.topics.keys()].sort()).toEqual(['averages.dlq', 'gps', 'per-car']);
  });

  it('is refused beside a source, and without a window, with the file and line', async () => {
    const path = file(`pipelines:
  averages:
    source: { type: generate, preset: gps, count: 1 }
    topic: gps
    query: { sql: "SELECT 1", output: out }
`);
    const error = await loadConfig([path], { builtins, env: {} }).catch((e) => e);
    const text = error.issues.map((i: { message: string; line: number }) => `${i.line}: ${i.message}`).join('\n');
    expect(text).toMatch(/5: .*window/);

    const beside = file(`pipelines:
  averages:
    source: { type: generate, preset: gps, count: 1 }
    topic: gps
    query: { sql: "SELECT 1", window: 1m, output: out }
`);
    const refused = await loadConfig([beside], { builtins, env: {} }).catch((e) => e);
    expect(refused.issues.map((i: { message: string }) => i.message)).toEqual([
      'pipeline "averages" has both a source and a query',
    ]);
    expect(refused.issues[0].line).toBe(5);
  });
});
