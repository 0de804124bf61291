// `sluice run|worker --watch` under load: a generated sequence flows through a processor whose version is
// changed while it runs, into a file sink that appends (so a second delivery would show). Every number arrives
// once, the new version applies from one point on, and an invalid change is logged as `validate` words it
// while the running version goes on.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

const TOTAL = 2000;

function pipelineFile(version: string, redis = ''): string {
  return `${redis}pipelines:
  ingest:
    source: { type: generate, preset: sequence, count: ${TOTAL}, rate: 200 }
    topic: seq
  deliver:
    topic: seq
    processors:
      - { type: set, headers: { version: "'${version}'" } }
    sinks:
      - { type: file, file: out/all.ndjson }
`;
}

/** The `version` header of each delivered line, in the order they were appended. */
function versions(dir: string): string[] {
  const file = join(dir, 'out/all.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { headers: { version: string } }).headers.version);
}

/** Starts `sluice <command> --watch`, changes the processor, then makes an invalid change; returns the folder. */
async function reloadUnderLoad(
  command: 'run' | 'worker',
  redis: string,
): Promise<{ dir: string; sluice: SluiceProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
  const file = join(dir, 'pipes.yaml');
  writeFileSync(file, pipelineFile('1', redis));
  const args = command === 'run' ? ['run', '--no-status'] : ['worker'];
  const sluice = SluiceProcess.start([...args, '--watch', file], join(dir, 'sluice.log'));
  await waitFor(() => sluice.log().includes('watching pipeline files'), 300_000, 'the watcher to start');
  await waitFor(() => versions(dir).length >= 200, 120_000, 'the first events');

  writeFileSync(file, pipelineFile('2', redis));
  await waitFor(() => sluice.log().includes('pipeline files reloaded'), 120_000, 'the reload');

  // A misspelt key: rejected with the message `validate` gives, and version 2 keeps running.
  writeFileSync(file, pipelineFile('3', redis).replace('file: out/all.ndjson', 'fil: out/all.ndjson'));
  await waitFor(() => sluice.log().includes('the running version stays'), 120_000, 'the rejection');
  return { dir, sluice };
}

function expectEveryEventOnceAndTheNewVersionFromOnePointOn(dir: string, log: string): void {
  expect(deliveryReport(sequenceCounts(join(dir, 'out')), TOTAL)).toEqual({
    distinct: TOTAL,
    missing: 0,
    duplicates: 0,
  });
  const seen = versions(dir);
  const firstNew = seen.indexOf('2');
  expect(firstNew).toBeGreaterThan(0);
  expect(seen.slice(0, firstNew).every((v) => v === '1')).toBe(true);
  expect(seen.slice(firstNew).every((v) => v === '2')).toBe(true);
  expect(log).toMatch(
    /unknown key \\"fil\\" in pipelines\.deliver\.sinks\[0\] \(file\) at \S*pipes\.yaml:\d+:\d+ — did you mean \\"file\\"\?/,
  );
  expect(log.match(/the running version stays/g)).toHaveLength(1);
}

describe('hot reload with --watch', () => {
  it('embedded: applies a processor change with no event lost or duplicated, and keeps running through an invalid change', async () => {
    const { dir, sluice } = await reloadUnderLoad('run', '');
    // run exits 0 once the finite source is done and everything is delivered.
    expect(await sluice.exited).toEqual({ code: 0, signal: null });
    expectEveryEventOnceAndTheNewVersionFromOnePointOn(dir, sluice.log());
  }, 600_000);

  it('embedded: runs the previous version again when the changed one cannot start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
    const file = join(dir, 'pipes.yaml');
    writeFileSync(file, pipelineFile('1'));
    // Valid as a file, but the module throws when the processor is created, as the engine starts.
    writeFileSync(join(dir, 'broken.mjs'), "throw new Error('broken on purpose');\n");
    const sluice = SluiceProcess.start(['run', '--no-status', '--watch', file], join(dir, 'sluice.log'));
    await waitFor(() => sluice.log().includes('watching pipeline files'), 300_000, 'the watcher to start');
    await waitFor(() => versions(dir).length >= 200, 120_000, 'the first events');
    writeFileSync(
      file,
      pipelineFile('2').replace('    sinks:', '      - { type: function, module: ./broken.mjs }\n    sinks:'),
    );
    expect(await sluice.exited).toEqual({ code: 0, signal: null });
    expect(sluice.log()).toMatch(/broken on purpose.*the previous version runs again/);
    expect(deliveryReport(sequenceCounts(join(dir, 'out')), TOTAL)).toEqual({
      distinct: TOTAL,
      missing: 0,
      duplicates: 0,
    });
    expect(new Set(versions(dir))).toEqual(new Set(['1']));
  }, 600_000);

  describe('on Redis', () => {
    let admin: Redis;
    const prefixes: string[] = [];
    beforeAll(async () => {
      admin = await connectTestRedis();
    });
    afterAll(async () => {
      for (const p of prefixes) await deleteKeysWithPrefix(admin, p);
      await admin?.quit();
    });

    it('a worker applies a processor change with no event lost or duplicated, and keeps running through an invalid change', async () => {
      const prefix = uniquePrefix('reload');
      prefixes.push(prefix);
      const { dir, sluice } = await reloadUnderLoad(
        'worker',
        `redis: { url: '${TEST_REDIS_URL}', prefix: ${prefix} }\n`,
      );
      await waitFor(() => sequenceCounts(join(dir, 'out')).size >= TOTAL, 180_000, 'every event');
      sluice.kill('SIGTERM');
      expect((await sluice.exited).code).toBe(0);
      expectEveryEventOnceAndTheNewVersionFromOnePointOn(dir, sluice.log());
      const published = JSON.parse((await admin.get(`${prefix}:config-version`)) ?? '{}') as { digest?: string };
      expect(sluice.log()).toContain(`"version":"${published.digest}","pipelines"`);
    }, 600_000);

    it('a worker whose files differ from the version another worker applied says so', async () => {
      const prefix = uniquePrefix('reload-split');
      prefixes.push(prefix);
      const redis = `redis: { url: '${TEST_REDIS_URL}', prefix: ${prefix} }\n`;
      const start = (version: string) => {
        const dir = mkdtempSync(join(tmpdir(), 'sluice-reload-'));
        writeFileSync(join(dir, 'pipes.yaml'), pipelineFile(version, redis));
        return SluiceProcess.start(['worker', '--watch', join(dir, 'pipes.yaml')], join(dir, 'sluice.log'));
      };
      const first = start('1');
      await waitFor(() => first.log().includes('watching pipeline files'), 300_000, 'the first worker');
      const second = start('2');
      await waitFor(() => second.log().includes('watching pipeline files'), 300_000, 'the second worker');
      await waitFor(
        () => first.log().includes('differ from the version another worker applied last'),
        60_000,
        'the first worker to report the split',
      );
      for (const w of [first, second]) w.kill('SIGTERM');
      await Promise.all([first.exited, second.exited]);
      expect(first.log()).toMatch(new RegExp(`"appliedBy":"[^"]+:${second.pid}"`));
    }, 600_000);
  });
});
