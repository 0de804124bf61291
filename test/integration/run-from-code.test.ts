import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigIssues, loadPipelines, run } from 'sluice/engine';
import { describe, expect, it } from 'vitest';
import { copyReadings } from '../../templates/examples/run-from-code/run-from-code.js';

describe('running pipelines from code (sluice/engine)', () => {
  it('runs a pipeline object to its end: drained() then stop() reports every event delivered', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-code-'));
    const summary = await copyReadings(folder, 50);
    expect(summary).toEqual({ stored: 50, delivered: 50, deadLettered: 0 });
    const lines = readdirSync(folder).flatMap((f) =>
      readFileSync(join(folder, f), 'utf8').trim().split('\n').filter(Boolean),
    );
    expect(lines).toHaveLength(50);
  });

  it('refuses an invalid pipeline object with the key and a suggestion, before starting anything', async () => {
    const bad = { pipelines: { p: { source: { type: 'generate', cuont: 3 }, topic: 't' } } };
    const error = await loadPipelines(bad).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ConfigIssues);
    expect((error as Error).message).toMatch(/unknown key "cuont".*did you mean "count"\?/);
    await expect(run(bad)).rejects.toBeInstanceOf(ConfigIssues);
  });

  it('stops a never-ending pipeline cleanly when asked', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sluice-code-'));
    const running = await run({
      pipelines: {
        p: {
          source: { type: 'generate', count: 0, rate: 200 },
          topic: 't',
          sinks: [{ type: 'file', directory: folder, fileName: 'e-{first}.ndjson' }],
        },
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    const summary = await running.stop(5_000);
    expect(summary.delivered).toBe(summary.stored);
    await expect(running.drained()).rejects.toThrow(/stopped before they drained/);
  });
});
