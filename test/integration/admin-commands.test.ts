// The admin commands against a running fleet on the machine's Redis: status shows topics, subscriptions and the
// live worker; replay re-delivers to one subscription; offsets shows and resets a source checkpoint.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';

let redis: Redis;
const prefix = uniquePrefix('admin');

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

const lineCount = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;

describe('status, replay and offsets', () => {
  it('show and move a running fleet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-admin-'));
    const out = join(dir, 'out.ndjson');
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  gps:
    source: { type: generate, preset: gps, count: 50, rate: 0 }
    topic: gps
    sinks:
      - { type: file, name: archive, file: "${out}" }
`,
    );
    const worker = SluiceProcess.start(['worker', file], join(dir, 'worker.log'));
    try {
      await waitFor(() => lineCount(out) === 50, 60_000, 'the 50 events');
      const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];

      const status = await runCli(['status', ...admin]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/gps: 50 events in 4 partition\(s\)/);
      expect(status.stdout).toMatch(/subscription gps\.archive: lag 0, pending 0/);
      expect(status.stdout).toMatch(new RegExp(`WORKERS \\(1\\)\\n  \\S+  host \\S+ pid ${worker.pid}`));
      const json = JSON.parse((await runCli(['status', ...admin, '--json'])).stdout);
      expect(json.workers[0].pid).toBe(worker.pid);

      const replay = await runCli(['replay', 'gps', '--subscription', 'gps.archive', '--from', 'beginning', ...admin]);
      expect(replay.stdout).toMatch(/50 event\(s\) to deliver/);
      await waitFor(() => lineCount(out) === 100, 60_000, 'the replayed events');

      const offsets = await runCli(['offsets', 'gps', ...admin]);
      expect(offsets.stdout).toMatch(/source gps: \{"generated":50\}/);
      const reset = await runCli(['offsets', 'gps', '--reset-source', 'gps', ...admin]);
      expect(reset.code).toBe(0);
      // The source starts over: 50 new events arrive.
      await waitFor(() => lineCount(out) === 150, 60_000, 'the events of the restarted source');

      const bad = await runCli(['replay', 'gps', '--subscription', 'gps.nope', '--from', 'beginning', ...admin]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/has no subscription "gps\.nope"; it has: gps\.archive/);
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  }, 180_000);

  it('say plainly that they need Redis', async () => {
    const r = await runCli(['status'], { env: { SLUICE_REDIS: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --redis redis:\/\/host:6379/);
  });
});
