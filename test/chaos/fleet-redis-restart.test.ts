// Redis goes away under a running fleet: a throwaway redis-server with an append-only file fsynced on every
// write is killed with SIGKILL mid-run (for 10 s; 3 s in the reduced suite) and started again. The workers resume
// by themselves and nothing that was acknowledged (checkpointed by the source) is lost. And a Redis that may evict
// keys is refused before anything starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { suiteSize } from '../harness/figures.js';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor, waitUntil } from '../harness/fleet.js';
import { RedisServer } from '../harness/redis-server.js';
import { runCli } from '../harness/run-cli.js';
import { recordChaosRow } from './chaos-row.js';

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
  const downMs = suiteSize() === 'full' ? 10_000 : 3_000;
  it(`resumes by itself after Redis is killed with SIGKILL and down for ${downMs / 1000} s, losing nothing acknowledged`, async () => {
    const redis = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    servers.push(redis);
    const total = suiteSize() === 'full' ? 40_000 : 15_000;
    const { dir, out, file } = config(redis.url, total);
    const workers = ['a', 'b'].map((name) =>
      SluiceProcess.start(['worker', file, '--grace', '10s'], join(dir, `${name}.log`), { WORKER_NAME: name }),
    );
    await waitFor(() => sequenceCounts(out).size > total * 0.2, 120_000, 'a fifth of the events to arrive');
    await redis.restart({ signal: 'SIGKILL', downMs });
    const backAt = Date.now();
    const during = sequenceCounts(out).size;
    const isComplete = await waitUntil(() => sequenceCounts(out).size >= total, 180_000);
    const recoverMs = isComplete ? Date.now() - backAt : undefined;
    const report = deliveryReport(sequenceCounts(out), total);
    recordChaosRow({
      case: `Redis kill -9 (AOF always), down ${downMs / 1000} s`,
      tries: 1,
      held: report.missing === 0 ? 1 : 0,
      report,
      recoverMs,
    });
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
