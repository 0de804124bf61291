// Redis goes away under a running fleet: a throwaway redis-server with an append-only file fsynced on every
// write is killed for 10 s mid-run and started again. The workers resume by themselves and nothing that was
// acknowledged is lost. And a Redis that may evict keys is refused before anything starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor } from '../harness/fleet.js';
import { RedisServer } from '../harness/redis-server.js';
import { runCli } from '../harness/run-cli.js';

let servers: RedisServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

function config(url: string, total: number) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));
  const out = join(dir, 'out');
  const file = join(dir, 'fleet.yaml');
  writeFileSync(
    file,
    `redis: ${url}
pipelines:
  seq:
    source: { type: generate, preset: sequence, count: ${total}, rate: 4000, batchSize: 500, keys: 8 }
    topic: seq
    sinks:
      - type: file
        file: "${out}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: 200 }
        retry: { attempts: 100, baseMs: 100, capMs: 2000 }
`,
  );
  return { dir, out, file };
}

describe('a fleet when Redis restarts', () => {
  it('resumes by itself after Redis is down for 10 s, and loses nothing acknowledged', async () => {
    const redis = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    servers.push(redis);
    const total = 40_000;
    const { dir, out, file } = config(redis.url, total);
    const workers = ['a', 'b'].map((name) =>
      SluiceProcess.start(['worker', file, '--grace', '10s'], join(dir, `${name}.log`), { WORKER_NAME: name }),
    );
    await waitFor(() => sequenceCounts(out).size > total * 0.2, 120_000, 'a fifth of the events to arrive');
    await redis.restart({ signal: 'SIGKILL', downMs: 10_000 });
    const during = sequenceCounts(out).size;
    await waitFor(() => sequenceCounts(out).size >= total, 180_000, 'every sequence number after the restart');
    const report = deliveryReport(sequenceCounts(out), total);
    console.log(`Redis restart run: ${total} events, missing ${report.missing}, duplicates ${report.duplicates}`);
    expect(report.missing).toBe(0);
    expect(sequenceCounts(out).size).toBeGreaterThan(during);
    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code).toBe(0);
  }, 360_000);

  it('refuses to start a worker against a Redis that may evict keys, saying how to fix it', async () => {
    const redis = await RedisServer.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    servers.push(redis);
    const { file } = config(redis.url, 10);
    const r = await runCli(['worker', file], { env: { WORKER_NAME: 'x' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/maxmemory-policy/);
    expect(r.stderr).toMatch(/noeviction/);
  }, 60_000);
});
