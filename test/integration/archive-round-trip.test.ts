// The processor chain template and its reverse: CSV lines → decode → validate → map → gzip → encrypt → files,
// then files → decrypt → gunzip → the original lines, byte for byte. Runs the templates as a user would.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-archive-'));
  mkdirSync(join(dir, 'pipelines'));
  for (const f of ['csv-to-archive.yaml', 'archive-to-csv.yaml'])
    cpSync(join('templates/pipelines', f), join(dir, 'pipelines', f));
  cpSync('templates/samples', join(dir, 'samples'), { recursive: true });
  return dir;
}

function readings(n: number): string {
  const rooms = ['kitchen', 'hall', 'server-room', 'bedroom', 'cellar'];
  const lines = [];
  for (let i = 0; i < n; i++) {
    const celsius = (((i * 37) % 700) / 10 - 20).toFixed(i % 3);
    lines.push(`${rooms[i % rooms.length]},${celsius},${new Date(Date.UTC(2026, 10, 26, 8, 0, i)).toISOString()}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('the CSV archive templates', () => {
  it('encrypt an archive that the reverse pipeline turns back into the original lines byte for byte', async () => {
    const dir = workspace();
    const input = readings(300);
    const forward = await runCli(['run', join(dir, 'pipelines/csv-to-archive.yaml')], { input });
    // No warning or error, but the notice every embedded run gives that its storage is not durable.
    const warnings = forward.stderr
      .split('\n')
      .filter((l) => /"level":(40|50)/.test(l) && !l.includes('embedded mode:'));
    expect(warnings).toEqual([]);
    expect(forward.code).toBe(0);
    const archive = join(dir, 'pipelines/archive');
    const files = readdirSync(archive);
    expect(files.length).toBeGreaterThan(0);
    const stored = files.flatMap((f) => readFileSync(join(archive, f), 'utf8').trim().split('\n'));
    expect(stored).toHaveLength(300);
    for (const line of stored) {
      // The key (the room) stays readable for partitioning; the value is ciphertext.
      const value = (JSON.parse(line) as { value: { $bytes: string } }).value;
      expect(Buffer.from(value.$bytes, 'base64').toString('latin1')).not.toMatch(/celsius|2026-11-26/);
    }

    const expected = input.split('\n').length - 1;
    const reverse = await runCli(['run', join(dir, 'pipelines/archive-to-csv.yaml')], {
      timeoutMs: 60_000,
      onSpawn: (child) => {
        let seen = 0;
        child.stdout?.on('data', (d: Buffer) => {
          seen += d.toString().split('\n').length - 1;
          if (seen >= expected) child.kill('SIGINT');
        });
      },
    });
    expect(reverse.code).toBe(0);
    expect(reverse.stdout).toBe(input);
  }, 120_000);

  it('sends a line that fails validation to the dead-letter topic and keeps the others', async () => {
    const dir = workspace();
    const r = await runCli(['run', join(dir, 'pipelines/csv-to-archive.yaml')], {
      input: 'kitchen,21.5,2026-11-26T08:00:00Z\nhall,warm,2026-11-26T08:00:05Z\n',
      env: { SLUICE_LOG_LEVEL: 'warn' },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/events sent to the dead-letter topic/);
    expect(r.stderr).toMatch(/celsius/);
    const stored = readdirSync(join(dir, 'pipelines/archive'));
    expect(stored).toHaveLength(1);
  }, 60_000);
});
