// An embedded run keeps its events in memory, so it says what it leaves behind: it warns at start that storage
// is not durable, keeps its dead letters in a file when it ends, and refuses to stop quietly (exit 3) with stored
// events its sinks had not acknowledged, unless told to with --force.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../core/event.js';
import { closeServer, freePort } from '../harness/loopback.js';
import { runCli } from '../harness/run-cli.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await closeServer(s);
});

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-embedded-end-'));
}

function pipelineFile(dir: string, sink: string): string {
  const path = join(dir, 'pipes.yaml');
  writeFileSync(
    path,
    `pipelines:\n  demo:\n    source: { type: generate, count: 5 }\n    topic: demo\n    sinks: [ ${sink} ]\n`,
  );
  return path;
}

/** A receiver that refuses every event with 400: each one is a record error and goes to the dead-letter topic. */
async function refusingReceiver(): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end('no such car'));
  });
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}/ingest`;
}

/** Sends SIGTERM once the run has started. */
const terminateOnceStarted = (child: ChildProcess) =>
  child.stderr?.on('data', (d: Buffer) => {
    if (d.toString().includes('sluice started')) setTimeout(() => child.kill('SIGTERM'), 300);
  });

// Each run starts the command from source, which takes seconds on a busy machine.
describe('the end of an embedded run', { timeout: 90_000 }, () => {
  it('warns at start that embedded storage is not durable', async () => {
    const dir = folder();
    const r = await runCli(['run', pipelineFile(dir, '{ type: stdout }')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/embedded mode: events are stored in this process only, not durably/);
  });

  it('appends its dead-lettered events to the --dead-letters file, says how many and where, and exits 0', async () => {
    const dir = folder();
    const url = await refusingReceiver();
    const file = join(dir, 'letters.ndjson');
    const r = await runCli(['run', pipelineFile(dir, `{ type: http, url: "${url}" }`), '--dead-letters', file]);
    expect(r.stderr).toContain(`sluice: 5 events were dead-lettered; appended to ${file}`);
    expect(r.code).toBe(0);
    const letters = readFileSync(file, 'utf8').trim().split('\n').map(parseEvent);
    expect(letters).toHaveLength(5);
    for (const letter of letters) {
      expect(letter.headers['sluice-pipeline']).toBe('demo');
      expect(letter.headers['sluice-error']).toMatch(/400/);
    }
  });

  it('writes the dead letters where --dead-letters says, and exits 3 when that file cannot be written', async () => {
    const dir = folder();
    const url = await refusingReceiver();
    const r = await runCli([
      'run',
      pipelineFile(dir, `{ type: http, url: "${url}" }`),
      '--dead-letters',
      join(dir, 'no-such-dir', 'x'),
    ]);
    expect(r.stderr).toMatch(/the dead-lettered events could not be written to .*no-such-dir.* and are lost/);
    expect(r.code).toBe(3);
  });

  it('on SIGTERM with events its sink has not taken, drains for the grace period, then exits 3 saying how many', async () => {
    const dir = folder();
    // Nothing listens on port 1: every delivery fails and is retried.
    const path = pipelineFile(dir, '{ type: http, url: "http://127.0.0.1:1/never" }');
    const r = await runCli(['run', path, '--grace', '1s'], {
      env: { SLUICE_LOG_LEVEL: 'info' },
      onSpawn: terminateOnceStarted,
    });
    // Every event the run stored is counted: none reached the sink.
    const lost = /sluice: (\d+) stored events were not delivered when the run stopped \(demo\.http-0: \1\)/.exec(
      r.stderr,
    );
    expect(lost).not.toBeNull();
    expect(r.stderr).toContain(`"stored":${lost?.[1]},"delivered":0`);
    expect(r.stderr).toMatch(/pass --force to accept the loss/);
    expect(r.code).toBe(3);

    const forced = await runCli(['run', path, '--grace', '1s', '--force'], {
      env: { SLUICE_LOG_LEVEL: 'info' },
      onSpawn: terminateOnceStarted,
    });
    expect(forced.stderr).toMatch(
      /\d+ stored events were not delivered when the run stopped .* and are lost \(--force\)/,
    );
    expect(forced.code).toBe(0);
  }, 120_000);
});
