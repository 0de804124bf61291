// What a plugin author types: `sluice new` and `sluice docs --plugin`, through the real command.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

// Each case starts the command (several times): generous, so that a busy machine does not fail it.
const CLI_TIMEOUT_MS = 180_000;

describe('sluice new', () => {
  it(
    'writes a plugin package that imports only from sluice and tests itself with its conformance suite',
    async () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'sluice-new-')), 'temps');
      const r = await runCli(['new', 'processor', 'shout', '--dir', dir]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/created the processor plugin "shout"/);
      const plugin = readFileSync(join(dir, 'src/index.ts'), 'utf8');
      expect(plugin).toMatch(/name: 'shout'/);
      expect(plugin).toMatch(/from 'sluice';/);
      expect(plugin).not.toMatch(/\.\.\/core/);
      const test = readFileSync(join(dir, 'test/shout.test.ts'), 'utf8');
      expect(test).toMatch(/describeProcessorConformance/);
      expect(test).toMatch(/from '\.\.\/src\/index\.js'/);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(pkg.name).toBe('sluice-plugin-shout');
      expect(pkg.peerDependencies.sluice).toMatch(/^\^\d/);
      expect(existsSync(join(dir, 'README.md'))).toBe(true);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'refuses a name that cannot be a type: and a folder that is not empty, with exit 2',
    async () => {
      const bad = await runCli(['new', 'sink', 'My Sink']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/plugin name "My Sink": use lower-case letters, digits and dashes/);
      const dir = mkdtempSync(join(tmpdir(), 'sluice-new-'));
      writeFileSync(join(dir, 'keep.txt'), 'mine');
      const busy = await runCli(['new', 'sink', 'ok', '--dir', dir]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/is not empty; choose another folder with --dir/);
      const kind = await runCli(['new', 'gadget', 'x']);
      expect(kind.code).toBe(2);
      expect(kind.stderr).toMatch(/source, sink, processor/);
    },
    CLI_TIMEOUT_MS,
  );
});

describe('sluice docs --plugin', () => {
  it(
    "prints the reference of one plugin module's plugins",
    async () => {
      const r = await runCli(['docs', '--plugin', './templates/plugins/webhook-sink.ts']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^# Sinks: my-webhook/);
      expect(r.stdout).toMatch(/\| `token` \|/);
    },
    CLI_TIMEOUT_MS,
  );
});
