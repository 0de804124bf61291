import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./stdio-pipe.fixture.ts', import.meta.url));
const template = fileURLToPath(new URL('../../../../templates/pipelines/stdio.yaml', import.meta.url));

function run(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, template], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('templates/pipelines/stdio.yaml', () => {
  it('turns the three shapes on stdin into events with the right key, value and ts on stdout, then exits', async () => {
    const before = Date.now();
    const { code, stdout, stderr } = await run(
      [
        '"hello"',
        '42',
        '{"key":"car_id_1","value":[43.82,-79.48]}',
        '{"key":"patient_id","value":[125,85],"timestamp":"2021-07-01T12:00:00Z"}',
      ].join('\n'),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(out.map((e) => [e.key, e.value])).toEqual([
      [null, 'hello'],
      [null, 42],
      ['car_id_1', [43.82, -79.48]],
      ['patient_id', [125, 85]],
    ]);
    for (const e of out.slice(0, 3)) expect(e.ts).toBeGreaterThanOrEqual(before);
    expect(out[3].ts).toBe(Date.UTC(2021, 6, 1, 12));
    expect(out.every((e) => typeof e.id === 'string')).toBe(true);
  });
});
