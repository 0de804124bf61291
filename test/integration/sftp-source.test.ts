// The sftp and scp sources against a real OpenSSH sshd: files put by OpenSSH's own `sftp` and `scp -O` are read
// exactly once, also across a restart of the source; and with sshd killed mid-file, every poll settles and
// reading goes on without losing an event.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteSource, openRemoteFileSystem, remoteSourceConfig } from '../../connectors/sftp/remote-source.js';
import type { PollSource } from '../../core/plugin.js';
import { testPluginContext } from '../conformance/plugin-context.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

let sshd: ThrowawaySshd;
let local: string;

beforeAll(async () => {
  sshd = await ThrowawaySshd.start();
  local = await mkdtemp(join(tmpdir(), 'sluice-sftp-src-'));
}, 60_000);
afterAll(async () => {
  await sshd?.destroy();
  await rm(local, { recursive: true, force: true });
});

const ctx = testPluginContext({ component: 'source' });

function sourceOf(protocol: 'sftp' | 'scp', directory: string, extra: Record<string, unknown> = {}): PollSource {
  const config = remoteSourceConfig.parse({
    host: '127.0.0.1',
    port: sshd.port,
    user: SSH_USER,
    privateKey: sshd.clientKeyPath,
    knownHosts: sshd.knownHostsPath,
    directory,
    stableMs: 0,
    ...extra,
  });
  return createRemoteSource(protocol, config, ctx);
}

async function pollAll(source: PollSource, checkpoint: unknown) {
  const values: unknown[] = [];
  let at = checkpoint;
  for (;;) {
    const r = await source.poll(at);
    values.push(...r.events.map((e) => e.value));
    at = r.checkpoint;
    if (!r.hasMore) return { values, checkpoint: at };
  }
}

for (const protocol of ['sftp', 'scp'] as const) {
  describe(`${protocol} source`, () => {
    it('reads files put by OpenSSH sftp and scp -O exactly once, also across a restart', async () => {
      const dir = `${sshd.dataDir}/${protocol}-drop`;
      await sshd.sftp([`mkdir ${dir}`]);
      const a = join(local, `${protocol}-a.ndjson`);
      const b = join(local, `${protocol}-b.ndjson`);
      writeFileSync(a, '{"value":"a1"}\n{"value":"a2"}\n');
      writeFileSync(b, '{"value":"b1"}\n');
      await sshd.sftp([`put ${a} ${dir}/a.ndjson`]);
      // Legacy scp hands the remote path to the server's shell unquoted: a plain name, as users of scp -O write.
      await sshd.scpPut(b, `${dir}/b.ndjson`);

      const first = sourceOf(protocol, dir);
      const one = await pollAll(first, undefined);
      expect(one.values.sort()).toEqual(['a1', 'a2', 'b1']);
      expect((await pollAll(first, one.checkpoint)).values).toEqual([]);
      await first.close?.();

      const c = join(local, `${protocol}-c.ndjson`);
      writeFileSync(c, '{"value":"c1"}\n');
      await sshd.scpPut(c, `${dir}/c.ndjson`);
      const second = sourceOf(protocol, dir);
      const two = await pollAll(second, one.checkpoint);
      expect(two.values).toEqual(['c1']);
      await second.close?.();
    }, 60_000);

    it('with sshd killed mid-file, every poll settles and no event is lost', async () => {
      const dir = `${protocol}-cut`;
      const fs = openRemoteFileSystem(
        'sftp',
        remoteSourceConfig.parse({
          host: '127.0.0.1',
          port: sshd.port,
          user: SSH_USER,
          privateKey: sshd.clientKeyPath,
          knownHosts: sshd.knownHostsPath,
          directory: '.',
        }),
        ctx,
        'setup',
      );
      const remoteDir = `${sshd.dataDir}/${dir}`;
      await fs.mkdir(remoteDir);
      const values = Array.from({ length: 100_000 }, (_, i) => i);
      await fs.write(
        `${remoteDir}/big.ndjson`,
        Readable.from([`${values.map((v) => JSON.stringify({ value: v })).join('\n')}\n`]),
      );
      await fs.close();

      const seen = new Set<unknown>();
      let source = sourceOf(protocol, remoteDir, { batchSize: 5000, timeoutMs: 5000 });
      const first = await source.poll(undefined);
      for (const e of first.events) seen.add(e.value);
      let checkpoint = first.checkpoint;
      await sshd.crash();
      // What arrived before the cut may still be read; then a poll fails, and says to retry.
      let failure: { kind?: string } | undefined;
      for (let attempt = 0; attempt < 100 && failure === undefined; attempt++) {
        try {
          const r = await source.poll(checkpoint);
          for (const e of r.events) seen.add(e.value);
          checkpoint = r.checkpoint;
        } catch (err) {
          failure = err as { kind?: string };
        }
      }
      expect(failure).toMatchObject({ kind: 'retryable' });
      await sshd.restart();
      for (let attempt = 0; attempt < 100 && seen.size < values.length; attempt++) {
        try {
          const r = await source.poll(checkpoint);
          for (const e of r.events) seen.add(e.value);
          checkpoint = r.checkpoint;
        } catch (err) {
          expect((err as { kind?: string }).kind).toBe('retryable');
          await source.close?.();
          source = sourceOf(protocol, remoteDir, { batchSize: 5000 });
        }
      }
      await source.close?.();
      expect(seen.size).toBe(values.length);
    }, 180_000);
  });
}
