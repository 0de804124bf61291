// The dead-letter workflow against a running worker on the machine's Redis: dead letters are listed with their
// error and origin, a discard keeps its reason, a redrive (edited) reaches the original sink and no other, once
// each, also when it is run again or after a crash between its append and its mark.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';

let redis: Redis;
const prefix = uniquePrefix('dlq');

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

const seqs = (path: string): number[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).value.seq)
    : [];

describe('sluice dlq', () => {
  it('lists, discards and redrives dead letters to their original sink exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-'));
    const valid = join(dir, 'valid.ndjson');
    const all = join(dir, 'all.ndjson');
    const file = join(dir, 'p.yaml');
    // Every third event fails validation on the way to `valid`; `all` takes every event and must never see a
    // redriven one.
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  seq:
    source: { type: generate, preset: sequence, count: 10, rate: 0 }
    topic: seq
    deadLetterTopic: rejects
    sinks:
      - type: file
        name: valid
        file: "${valid}"
        processors:
          - { type: json-schema, schema: { properties: { seq: { not: { multipleOf: 3 } } } } }
      - { type: file, name: all, file: "${all}" }
`,
    );
    const worker = SluiceProcess.start(['worker', file], join(dir, 'worker.log'));
    const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];
    const settled = async () => {
      const status = JSON.parse((await runCli(['status', ...admin, '--json'])).stdout);
      const seq = status.topics.find((t: { name: string }) => t.name === 'seq');
      return seq.subscriptions.every((s: { lag: number; pending: number }) => s.lag === 0 && s.pending === 0);
    };
    try {
      await waitFor(() => seqs(valid).length === 7 && seqs(all).length === 10, 60_000, 'the first delivery');

      const status = await runCli(['status', ...admin]);
      expect(status.stdout).toMatch(/DEAD LETTERS\n {2}rejects: 3/);

      const listed = await runCli(['dlq', 'list', '--json', ...admin]);
      expect(listed.code).toBe(0);
      const letters = JSON.parse(listed.stdout);
      expect(letters.map((l: { value: { seq: number } }) => l.value.seq).sort()).toEqual([3, 6, 9]);
      expect(letters[0]).toMatchObject({
        topic: 'rejects',
        state: 'dead',
        attempts: 1,
        origin: { pipeline: 'seq', topic: 'seq', subscription: 'seq.valid', step: 0 },
        error: { kind: 'record' },
      });
      expect(letters[0].error.reason).not.toBe('');
      const six = letters.find((l: { value: { seq: number } }) => l.value.seq === 6);

      const shown = await runCli(['dlq', 'show', six.id, ...admin]);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: six.id, origin: { id: six.origin.id } });

      const discard = await runCli(['dlq', 'discard', six.id, '--reason', 'test reading, not a car', ...admin]);
      expect(discard.stdout).toMatch(/^1 discarded/);
      const discarded = await runCli(['dlq', 'list', '--discarded', ...admin]);
      expect(discarded.stdout).toMatch(new RegExp(`rejects ${six.id} .* DISCARDED \\S+: test reading, not a car`));

      const edit = 'value ~> |$|{"seq": seq + 1000}|';
      const dry = await runCli(['dlq', 'redrive', '--pipeline', 'seq', '--edit', edit, '--dry-run', ...admin]);
      expect(dry.stdout).toMatch(/2 would redrive, 0 skipped/);

      const redrive = await runCli(['dlq', 'redrive', '--sink', 'valid', '--edit', edit, ...admin]);
      expect(redrive.code).toBe(0);
      expect(redrive.stdout).toMatch(/2 redriven, 0 skipped/);
      await waitFor(() => seqs(valid).length === 9, 60_000, 'the redriven events');
      expect(seqs(valid).slice(7).sort()).toEqual([1003, 1009]);

      // Run again: nothing left to redrive.
      const again = await runCli(['dlq', 'redrive', '--sink', 'valid', '--edit', edit, ...admin]);
      expect(again.stdout).toMatch(/0 redriven, 0 skipped/);
      // A crash after the append and before the mark: the marks are gone, the appends are remembered.
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:state:{sluice/dead-letters/rejects}:*`);
        cursor = next;
        const marksOfRedriven = keys.filter((k) => !k.endsWith(six.id));
        if (marksOfRedriven.length > 0) await redis.del(...marksOfRedriven);
      } while (cursor !== '0');
      const afterCrash = await runCli(['dlq', 'redrive', '--sink', 'valid', '--edit', edit, ...admin]);
      expect(afterCrash.stdout).toMatch(/2 redriven, 0 skipped/);

      await waitFor(settled, 60_000, 'every subscription to catch up');
      const topic = JSON.parse((await runCli(['status', ...admin, '--json'])).stdout).topics.find(
        (t: { name: string }) => t.name === 'seq',
      );
      expect(topic.length).toBe(12);
      expect(seqs(valid).sort((a, b) => a - b)).toEqual([1, 2, 4, 5, 7, 8, 10, 1003, 1009]);
      expect(seqs(all).length).toBe(10);

      const redriven = JSON.parse((await runCli(['dlq', 'list', '--redriven', '--json', ...admin])).stdout);
      expect(redriven).toHaveLength(2);
      expect(redriven[0].mark).toMatchObject({ state: 'redriven', to: { topic: 'seq' } });
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  }, 480_000);

  it('exits 2 on a usage mistake and 1 when a dead letter is not there', async () => {
    const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];
    const everything = await runCli(['dlq', 'redrive', ...admin]);
    expect(everything.code).toBe(2);
    expect(everything.stderr).toMatch(/needs --all-matching/);
    const noReason = await runCli(['dlq', 'discard', '0-1-0', ...admin]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);
    const badTime = await runCli(['dlq', 'list', '--since', 'yesterday-ish', ...admin]);
    expect(badTime.code).toBe(2);
    const missing = await runCli(['dlq', 'show', '0-1-0', ...admin]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no dead letter 0-1-0/);
  }, 180_000);

  it('reads the dead-letter file of an embedded run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-dlq-file-'));
    const path = join(dir, 'sluice-dead-letters.ndjson');
    writeFileSync(
      path,
      `${JSON.stringify({ key: 'k', value: { seq: 3 }, ts: 1, headers: { 'sluice-error': 'bad seq', 'sluice-error-code': 'E_VALIDATE', 'sluice-pipeline': 'seq' } })}\n`,
    );
    const r = await runCli(['dlq', 'list', '--file', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/line-1 {2}seq .* E_VALIDATE, failed -: bad seq/);
  }, 120_000);
});
