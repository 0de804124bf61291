// The ftp source against a real vsftpd, with files uploaded by a real client (curl): read once each across a
// restart, a slow upload not read before it is complete, and login and certificate failures stated clearly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFtpSource, ftpSourceConfig } from '../../connectors/ftp/source.js';
import type { PollSource } from '../../core/plugin.js';
import { testPluginContext } from '../conformance/plugin-context.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';

let server: ThrowawayVsftpd;
let tlsServer: ThrowawayVsftpd;
let implicitServer: ThrowawayVsftpd;

beforeAll(async () => {
  [server, tlsServer, implicitServer] = await Promise.all([
    ThrowawayVsftpd.start(),
    ThrowawayVsftpd.start({ tls: true }),
    ThrowawayVsftpd.start({ tls: 'implicit' }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([server?.stop(), tlsServer?.stop(), implicitServer?.stop()]);
});

/** Uploads `text` as `path` with curl, creating folders. */
async function upload(path: string, text: string): Promise<void> {
  const child = spawn('curl', ['-sS', '--ftp-create-dirs', '-T', '-', server.url(path)]);
  await finished(child, text);
}

function finished(child: ChildProcess, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}: ${stderr}`))));
    child.stdin?.end(input);
  });
}

const source = (keys: Record<string, unknown>, s = server): PollSource =>
  createFtpSource(
    ftpSourceConfig.parse({
      host: '127.0.0.1',
      port: s.port,
      user: s.user,
      password: s.password,
      connectRetries: 0,
      ...keys,
    }),
    testPluginContext({ baseDir: s.dir }),
  );

describe('ftp source with real uploads', () => {
  it('reads each uploaded file once, across a restart of the pipeline', async () => {
    await upload('/drop/a.ndjson', '1\n2\n');
    await upload('/drop/b.ndjson', '3\n');
    const first = source({ directory: '/drop', stableMs: 0 });
    const r1 = await first.poll(undefined);
    await first.close?.();
    expect(r1.events.map((e) => e.value).sort()).toEqual([1, 2, 3]);

    await upload('/drop/c.ndjson', '4\n');
    const restarted = source({ directory: '/drop', stableMs: 0 });
    const r2 = await restarted.poll(r1.checkpoint);
    const r3 = await restarted.poll(r2.checkpoint);
    await restarted.close?.();
    expect(r2.events.map((e) => e.value)).toEqual([4]);
    expect(r3.events).toEqual([]);
  });

  it('does not read a file while it is still being uploaded slowly, then reads all of it', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `${i}`);
    const text = `${lines.join('\n')}\n`;
    // About 1500 bytes at 300 bytes a second: the upload lasts seconds, growing between listings.
    mkdirSync(join(server.root, 'slow'));
    execFileSync('chown', [`${server.user}:`, join(server.root, 'slow')]);
    const child = spawn('curl', [
      '-sS',
      '--limit-rate',
      '300',
      '--ftp-create-dirs',
      '-T',
      '-',
      server.url('/slow/a.ndjson'),
    ]);
    const uploaded = finished(child, text);
    let isUploaded = false;
    const settle = () => {
      isUploaded = true;
    };
    void uploaded.then(settle, settle);
    const reader = source({ directory: '/slow', stableMs: 2000, intervalMs: 200 });
    let checkpoint: unknown;
    const seen: unknown[] = [];
    let emptyPollsWhileGrowing = 0;
    // Polls until the first events: they must be the whole file, read only once it was complete.
    while (seen.length === 0) {
      const sizeBefore = statSync(join(server.root, 'slow', 'a.ndjson'), { throwIfNoEntry: false })?.size ?? 0;
      const r = await reader.poll(checkpoint);
      checkpoint = r.checkpoint;
      for (const e of r.events) seen.push(e.value);
      if (r.events.length === 0 && sizeBefore < text.length) emptyPollsWhileGrowing++;
      if (r.events.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      if (isUploaded && seen.length === 0) await uploaded; // a failed upload fails the test here
    }
    expect(emptyPollsWhileGrowing).toBeGreaterThan(0);
    await uploaded;
    await reader.close?.();
    expect(seen).toEqual(lines.map(Number));
  }, 60_000);

  it('stops with a clear, password-free message when the login is refused', async () => {
    const refused = source({ directory: '/', password: 'not-the-password' });
    const failure = await refused.poll(undefined).catch((err: unknown) => err);
    await refused.close?.();
    expect(failure).toMatchObject({
      kind: 'fatal',
      code: 'E_FS_AUTH',
      message: expect.stringContaining('refused the login'),
    });
    expect(JSON.stringify(failure)).not.toContain('not-the-password');
  });
});

describe.each([
  { mode: 'explicit', at: () => tlsServer },
  { mode: 'implicit', at: () => implicitServer },
])('ftps certificates ($mode)', ({ mode, at }) => {
  const keys = (tls: Record<string, unknown>) => ({ directory: '/', stableMs: 0, tls: { mode, ...tls } });

  it('refuses a server whose certificate is not trusted, before logging in', async () => {
    const untrusted = source(keys({}), at());
    await expect(untrusted.poll(undefined)).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_FS_AUTH',
      message: expect.stringContaining('tls.caFile or tls.fingerprint'),
    });
    await untrusted.close?.();
  });

  it('trusts a pinned certificate by its fingerprint, and refuses another one', async () => {
    const fingerprint = new X509Certificate(at().certificate()).fingerprint256;
    const pinned = source(keys({ fingerprint }), at());
    await expect(pinned.poll(undefined)).resolves.toMatchObject({ events: [] });
    await pinned.close?.();
    const other = source(
      keys({ fingerprint: fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00') }),
      at(),
    );
    await expect(other.poll(undefined)).rejects.toMatchObject({
      kind: 'fatal',
      message: expect.stringContaining('not the pinned one'),
    });
    await other.close?.();
  });
});

describe('implicit ftps', () => {
  it('reads a file curl uploaded over implicit FTPS, trusting the server by tls.caFile', async () => {
    const s = implicitServer;
    writeFileSync(join(s.dir, 'ca.pem'), s.certificate());
    const url = `ftps://${s.user}:${s.password}@127.0.0.1:${s.port}/implicit/a.ndjson`;
    await finished(
      spawn('curl', ['-sS', '--ftp-create-dirs', '--cacert', join(s.dir, 'ca.pem'), '-T', '-', url]),
      '1\n2\n',
    );
    const reading = source({ directory: '/implicit', stableMs: 0, tls: { mode: 'implicit', caFile: 'ca.pem' } }, s);
    const read = await reading.poll(undefined);
    await reading.close?.();
    expect(read.events.map((e) => e.value)).toEqual([1, 2]);
  });
});
