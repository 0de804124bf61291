import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { loadConfig } from '../../../../core/config/load.js';

const sdk = resolve('core/plugin.ts');
// A plain-JavaScript package cannot import TypeScript: it takes the built SDK, as an installed one would.
const sdkJs = resolve('dist/core/plugin.js');

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plugins-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('plugins named in a pipeline file', () => {
  it('loads a TypeScript plugin from a relative path and validates its config like a built-in', async () => {
    const dir = project({
      'echo.ts': `import { defineSink, z } from ${JSON.stringify(sdk)};\nexport default defineSink({ name: 'echo', summary: 'x', config: z.object({ prefix: z.string().describe('p') }), create: () => ({ async write() {} }) });\n`,
      'p.yaml':
        'plugins: [./echo.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n    sinks: [ { type: echo, prefx: a } ]\n',
    });
    await expect(loadConfig([join(dir, 'p.yaml')], { builtins, env: {} })).rejects.toThrow(
      /unknown key "prefx" in pipelines\.p\.sinks\[0\] \(echo\).*did you mean "prefix"\?/,
    );
  });

  it('refuses a plugin built for another SDK version, saying what to do', async () => {
    const dir = project({
      'old.ts': `import { defineSink, z } from ${JSON.stringify(sdk)};\nconst p = defineSink({ name: 'old', summary: 'x', config: z.object({}), create: () => ({ async write() {} }) });\nexport default { ...p, sdkVersion: 99 };\n`,
      'p.yaml':
        'plugins: [./old.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n    sinks: [ { type: old } ]\n',
    });
    await expect(loadConfig([join(dir, 'p.yaml')], { builtins, env: {} })).rejects.toThrow(
      /built for Sluice SDK v99, but this Sluice speaks v1; rebuild the plugin/,
    );
  });

  it('says where a plugin module that does not exist was named', async () => {
    const dir = project({
      'p.yaml': 'plugins: [./missing.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n',
    });
    await expect(loadConfig([join(dir, 'p.yaml')], { builtins, env: {} })).rejects.toThrow(
      /plugin module "\.\/missing\.ts" could not be loaded: .*does not exist at .*p\.yaml:1:11/,
    );
  });

  it('loads a plugin from an installed ESM-only npm package, resolved as Node resolves imports', async () => {
    const dir = project({
      'node_modules/sluice-plugin-esm/package.json': JSON.stringify({
        name: 'sluice-plugin-esm',
        type: 'module',
        exports: { '.': { import: './index.js' } },
      }),
      'node_modules/sluice-plugin-esm/index.js': `import { defineSink, z } from ${JSON.stringify(`file://${sdkJs}`)};\nexport default defineSink({ name: 'esm-sink', summary: 'x', config: z.object({}), create: () => ({ async write() {} }) });\n`,
      'p.yaml':
        'plugins: [sluice-plugin-esm]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n    sinks: [ { type: esm-sink } ]\n',
    });
    const config = await loadConfig([join(dir, 'p.yaml')], { builtins, env: {} });
    expect(config.registry.get('sink', 'esm-sink')?.name).toBe('esm-sink');
  });

  it('refuses two plugins with one name, naming both modules', async () => {
    const sink = (name: string) =>
      `import { defineSink, z } from ${JSON.stringify(sdk)};\nexport default defineSink({ name: '${name}', summary: 'x', config: z.object({}), create: () => ({ async write() {} }) });\n`;
    const dir = project({
      'a.ts': sink('twin'),
      'b.ts': sink('twin'),
      'p.yaml': 'plugins: [./a.ts, ./b.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n',
    });
    await expect(loadConfig([join(dir, 'p.yaml')], { builtins, env: {} })).rejects.toThrow(
      /sink "twin" from .*b\.ts clashes with the one from .*a\.ts; rename one of them/,
    );
  });

  it('names the plugin module that throws while it loads', async () => {
    const dir = project({
      'broken.ts': `throw new Error('boom at load');\n`,
      'p.yaml': 'plugins: [./broken.ts]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n',
    });
    await expect(loadConfig([join(dir, 'p.yaml')], { builtins, env: {} })).rejects.toThrow(
      /plugin module "\.\/broken\.ts" could not be loaded: boom at load/,
    );
  });

  it('loads a plugin package folder by the file its package.json exports', async () => {
    const dir = project({
      'my-plugin/package.json': JSON.stringify({
        name: 'my-plugin',
        type: 'module',
        exports: { '.': { import: './lib/main.js' } },
      }),
      'my-plugin/lib/main.js': `import { defineSink, z } from ${JSON.stringify(`file://${sdkJs}`)};\nexport default defineSink({ name: 'folder-sink', summary: 'x', config: z.object({}), create: () => ({ async write() {} }) });\n`,
      'p.yaml':
        'plugins: [./my-plugin]\npipelines:\n  p:\n    source: { type: generate }\n    topic: t\n    sinks: [ { type: folder-sink } ]\n',
    });
    const config = await loadConfig([join(dir, 'p.yaml')], { builtins, env: {} });
    expect(config.registry.get('sink', 'folder-sink')?.name).toBe('folder-sink');
  });
});
