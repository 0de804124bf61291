// The SFTP drop folder → encrypted SCP archive template, run as README documents it, against a real sshd
// standing in for both hosts.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

let sshd: ThrowawaySshd;
beforeAll(async () => {
  sshd = await ThrowawaySshd.start();
}, 60_000);
afterAll(async () => {
  await sshd?.destroy();
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sftp-archive-'));
  mkdirSync(join(dir, 'pipelines'));
  cpSync('templates/pipelines/sftp-to-scp-archive.yaml', join(dir, 'pipelines/sftp-to-scp-archive.yaml'));
  cpSync('templates/samples', join(dir, 'samples'), { recursive: true });
  return dir;
}

describe('the sftp-to-scp-archive template', () => {
  it('moves validated rows from the drop folder into encrypted archive files, leaving the invalid row out', async () => {
    const dir = workspace();
    const rows = Array.from({ length: 50 }, (_, i) => `P${1000 + i},glucose,${(4 + i / 10).toFixed(1)}`);
    const csv = join(dir, 'results.csv');
    writeFileSync(csv, `patient,test,result\n${rows.join('\n')}\nnot-a-patient,glucose,high\n`);
    const drop = `${sshd.dataDir}/drop`;
    const archive = `${sshd.dataDir}/archive`;
    await sshd.sftp([`mkdir ${drop}`, `mkdir ${archive}`, `put ${csv} ${drop}/results.csv`]);

    const archived = () =>
      existsSync(archive)
        ? readdirSync(archive)
            .filter((f) => !f.startsWith('.'))
            .flatMap((f) => readFileSync(join(archive, f), 'utf8').trim().split('\n'))
        : [];
    // The folder for the day is made before the file is renamed into it: wait for the file itself.
    const isMovedToDone = () =>
      existsSync(join(drop, 'done')) &&
      readdirSync(join(drop, 'done')).some((day) => existsSync(join(drop, 'done', day, 'results.csv')));
    const run = await runCli(['run', join(dir, 'pipelines/sftp-to-scp-archive.yaml')], {
      timeoutMs: 90_000,
      env: {
        DROP_HOST: '127.0.0.1',
        DROP_PORT: String(sshd.port),
        DROP_USER: SSH_USER,
        DROP_DIR: drop,
        ARCHIVE_HOST: '127.0.0.1',
        ARCHIVE_PORT: String(sshd.port),
        ARCHIVE_USER: SSH_USER,
        ARCHIVE_DIR: archive,
        SSH_KEY: sshd.clientKeyPath,
        KNOWN_HOSTS: sshd.knownHostsPath,
        STABLE_MS: '0',
      },
      onSpawn: (child) => {
        const timer = setInterval(() => {
          // The file is moved on the poll after its rows are stored: wait for both.
          if (archived().length >= rows.length && isMovedToDone()) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 200);
        child.once('exit', () => clearInterval(timer));
      },
    });
    expect(run.code).toBe(0);
    const stored = archived();
    expect(stored).toHaveLength(rows.length);
    for (const line of stored) {
      const event = JSON.parse(line) as { key: string; value: { $bytes: string } };
      expect(event.key).toMatch(/^P\d+$/);
      expect(Buffer.from(event.value.$bytes, 'base64').toString('latin1')).not.toMatch(/glucose/);
    }
    const done = readdirSync(join(drop, 'done'));
    expect(done).toHaveLength(1);
    expect(readdirSync(join(drop, 'done', done[0]))).toEqual(['results.csv']);
  }, 120_000);
});
