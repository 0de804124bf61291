// The SCP adapter's deadlines against a real OpenSSH sshd. A quick command (a listing) can end in the very
// packet that confirms its channel; its deadline must still be disarmed, or one `timeoutMs` later it drops the
// connection, which the pool has lent to something else by then (a big file's download, a listing).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSshSettings, sshConnectionObject } from '../../connectors/sftp/connection.js';
import { ScpFileSystem } from '../../connectors/sftp/scp-file-system.js';
import { SessionPool } from '../../connectors/sftp/session-pool.js';
import type { Logger } from '../../core/plugin.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Long enough for a listing on a busy machine; the slow read below outlasts it, so a stray deadline would fire.
const TIMEOUT_MS = 3000;
let sshd: ThrowawaySshd;

beforeAll(async () => {
  sshd = await ThrowawaySshd.start();
}, 60_000);
afterAll(async () => {
  await sshd?.destroy();
});

/** Blocks the event loop in short spells, so that each of the server's answers arrives with the next ones. */
function batchIncomingPackets(spellMs: number): () => void {
  const timer = setInterval(() => {
    const until = Date.now() + spellMs;
    while (Date.now() < until) {
      // busy on purpose: the socket's bytes pile up meanwhile
    }
  }, 1);
  return () => clearInterval(timer);
}

/** Reads `stream` slowly for `slowMs` (a consumer busy elsewhere), then to its end. */
async function readSlowlyThenAll(stream: Readable, slowMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const slowUntil = Date.now() + slowMs;
  while (Date.now() < slowUntil) {
    const chunk = stream.read(64 * 1024) as Buffer | null;
    if (chunk) chunks.push(chunk);
    await new Promise((r) => setTimeout(r, 100));
  }
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('scp file system deadlines', () => {
  it('keeps a slow download going after quick listings on the same connection', async () => {
    const bytes = randomBytes(8 * 2 ** 20);
    writeFileSync(join(sshd.dataDir, 'slow.bin'), bytes);
    const config = sshConnectionObject.parse({
      host: '127.0.0.1',
      port: sshd.port,
      user: SSH_USER,
      privateKey: sshd.clientKeyPath,
      knownHosts: sshd.knownHostsPath,
      timeoutMs: TIMEOUT_MS,
      maxConnections: 1,
    });
    const fs = new ScpFileSystem(new SessionPool(resolveSshSettings(config, '/', 'scp test'), silent), {
      root: sshd.dataDir,
      verifyChecksum: false,
      logger: silent,
    });
    try {
      const stopBatching = batchIncomingPackets(50);
      try {
        for (let i = 0; i < 10; i++) expect((await fs.list('/')).map((e) => e.name)).toContain('slow.bin');
      } finally {
        stopBatching();
      }
      const stream = await fs.read('/slow.bin');
      const read = await readSlowlyThenAll(stream, TIMEOUT_MS + 1500);
      expect(createHash('sha256').update(read).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect((await fs.list('/')).map((e) => e.name)).toContain('slow.bin');
    } finally {
      await fs.close();
    }
  }, 60_000);
});
