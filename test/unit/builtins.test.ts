import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import type { LazyPlugin } from '../../core/registry.js';

/** The catalog with each entry recording when its module is imported. */
function recordingCatalog(): { catalog: LazyPlugin[]; imported: string[] } {
  const imported: string[] = [];
  const catalog = builtins.map((b) => ({
    ...b,
    load: () => {
      imported.push(`${b.kind}:${b.name}`);
      return b.load();
    },
  }));
  return { catalog, imported };
}

function pipelineFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-builtins-')), 'p.yaml');
  writeFileSync(file, text);
  return file;
}

describe('the built-in catalog', () => {
  it('names each built-in once, by the kind and name its module declares', async () => {
    const ids = builtins.map((b) => `${b.kind}:${b.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of builtins) {
      const { default: plugin } = await entry.load();
      expect(`${plugin.kind}:${plugin.name}`).toBe(`${entry.kind}:${entry.name}`);
    }
  });

  it('imports only the plugins a pipeline file names when it is validated', async () => {
    const { catalog, imported } = recordingCatalog();
    const file = pipelineFile(
      'pipelines:\n  p:\n    source: { type: generate }\n    processors: [ { type: json } ]\n    topic: t\n    sinks: [ { type: stdout, processors: [ { type: gzip } ] } ]\n',
    );
    await loadConfig([file], { builtins: catalog, env: {} });
    expect(imported.sort()).toEqual(['processor:gzip', 'processor:json', 'sink:stdout', 'source:generate']);
  });

  it('suggests the built-in a misspelt type meant without importing any module', async () => {
    const { catalog, imported } = recordingCatalog();
    const file = pipelineFile('pipelines:\n  p:\n    source: { type: generat }\n    topic: t\n');
    await expect(loadConfig([file], { builtins: catalog, env: {} })).rejects.toThrow(
      /unknown source type "generat".*did you mean "generate"\?/s,
    );
    expect(imported).toEqual([]);
  });

  it('refuses a plugin module that reuses a built-in name', async () => {
    const sdk = resolve('core/plugin.ts');
    const file = pipelineFile('plugins: [./mine.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n');
    writeFileSync(
      join(file, '..', 'mine.ts'),
      `import { defineProcessor, z } from ${JSON.stringify(sdk)};\nexport default defineProcessor({ name: 'json', summary: 'x', config: z.object({}), create: () => ({ process: (b) => b }) });\n`,
    );
    await expect(loadConfig([file], { builtins, env: {} })).rejects.toThrow(
      /processor "json" from \.\/mine\.ts clashes with the one from built-in/,
    );
  });
});
