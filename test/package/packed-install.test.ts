// From the packed tarball, installed into an empty folder as a user would: `sluice new sink demo`, then the
// new package builds and passes its tests, and a pipeline that names it under `plugins:` delivers its events.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
const app = join(work, 'app');
let tarball = '';

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' },
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  sh('npm', ['pack', '--pack-destination', work], ROOT);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  sh('npm', ['install', tarball], app);
});

describe('the packed package, installed into an empty folder', () => {
  // Reported, not asserted (a busy machine is slower): the command as a user starts it, without npx.
  function reportStartTime(args: string[]): void {
    const bin = join(app, 'node_modules/.bin/sluice');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      sh(bin, args, app);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(
      `sluice ${args.join(' ')}: median ${times[2].toFixed(0)} ms over 5 starts (min ${times[0].toFixed(0)} ms)`,
    );
  }

  it('answers --version, and reports how long the installed command takes to', () => {
    expect(sh('npx', ['sluice', '--version'], app).trim()).toMatch(/^\d+\.\d+\.\d+/);
    reportStartTime(['--version']);
  });

  it('validates a small pipeline file, and reports how long that takes', () => {
    writeFileSync(
      join(app, 'small.yaml'),
      'pipelines:\n  small:\n    source: { type: generate }\n    topic: t\n    sinks: [ { type: stdout } ]\n',
    );
    expect(sh('npx', ['sluice', 'validate', 'small.yaml'], app)).toMatch(/1 file\(s\) valid/);
    reportStartTime(['validate', 'small.yaml']);
  });

  it('scaffolds a sink with sluice new that builds and passes its conformance tests', () => {
    sh('npx', ['sluice', 'new', 'sink', 'demo', '--sluice', `file:${tarball}`], app);
    const demo = join(app, 'demo');
    sh('npm', ['install'], demo);
    sh('npm', ['run', 'build'], demo);
    const test = sh('npm', ['test'], demo);
    // vitest colours its summary even into a pipe: compare the plain text.
    expect(stripVTControlCharacters(test)).toMatch(/Tests\s+\d+ passed/);
  });

  describe('a pipeline naming the new plugin package under plugins:', () => {
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push(...(JSON.parse(body) as unknown[]));
        res.writeHead(204).end();
      });
    });
    beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('delivers every event through it', async () => {
      sh('npm', ['install', './demo'], app);
      const port = (server.address() as AddressInfo).port;
      writeFileSync(
        join(app, 'pipeline.yaml'),
        [
          'plugins: [sluice-plugin-demo]',
          'pipelines:',
          '  p:',
          '    source: { type: generate, preset: temperature, count: 25, rate: 0 }',
          '    topic: readings',
          `    sinks: [ { type: demo, url: 'http://127.0.0.1:${port}/hook' } ]`,
          '',
        ].join('\n'),
      );
      // Asynchronously: the receiver answers from this process while sluice runs.
      const child = spawn('npx', ['sluice', 'run', 'pipeline.yaml', '--no-status'], { cwd: app, stdio: 'inherit' });
      expect(await new Promise((r) => child.on('close', r))).toBe(0);
      expect(received).toHaveLength(25);
    });
  });
});
