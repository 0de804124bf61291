// The worked plugin example (templates/examples/mqtt-sink, made with `sluice new sink mqtt`) used from its
// pipeline file by `sluice run`, against the real Mosquitto broker: every event reaches `mosquitto_sub`.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';

const EXAMPLE = resolve('templates/examples/mqtt-sink');
const COUNT = 60;

/** The example as a user has it after `npm install`: sluice and mqtt in its node_modules. */
function installedCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sluice-mqtt-')), 'mqtt-sink');
  cpSync(EXAMPLE, dir, { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(resolve('.'), join(dir, 'node_modules/sluice'), 'dir');
  symlinkSync(resolve('node_modules/mqtt'), join(dir, 'node_modules/mqtt'), 'dir');
  return dir;
}

describe('the MQTT sink example', () => {
  it('delivers every event of its pipeline to mosquitto_sub', async () => {
    const dir = installedCopy();
    const root = `sluice-example-${process.pid}-${Date.now()}`;
    // mosquitto_sub exits by itself once it has COUNT messages; -W bounds the wait if some never come.
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      '1883',
      '-t',
      `${root}/+/temperature`,
      '-q',
      '1',
      '-C',
      String(COUNT),
      '-W',
      '120',
      '-v',
    ]);
    let lines = '';
    sub.stdout.on('data', (d) => {
      lines += d;
    });
    const subExit = new Promise<number | null>((r) => sub.on('close', r));
    sub.on('error', (err) => {
      throw new Error(`mosquitto_sub could not start (apt-get install mosquitto-clients): ${err.message}`);
    });
    // Let the subscription reach the broker before anything is published.
    await new Promise((r) => setTimeout(r, 500));
    const run = await runCli(['run', join(dir, 'pipeline.yaml'), '--no-status'], {
      env: { COUNT: String(COUNT), RATE: '0', MQTT_ROOT: root },
      timeoutMs: 120_000,
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(await subExit).toBe(0);
    const received = lines.trim().split('\n');
    expect(received).toHaveLength(COUNT);
    for (const line of received) expect(line).toMatch(new RegExp(`^${root}/[^/ ]+/temperature -?\\d`));
  }, 180_000);
});
