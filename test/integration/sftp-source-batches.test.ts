// A file much bigger than one batch, read by the sftp and scp sources poll after poll on the same open
// transfer, against a real OpenSSH sshd: every line comes exactly once and in order.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import scpSource from '../../connectors/sftp/scp-source.js';
import sftpSource from '../../connectors/sftp/source.js';
import { isPollSource, type Logger, type PluginContext, type StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ctx: PluginContext = {
  pipeline: 'test',
  component: 'source',
  logger: silent,
  signal: new AbortController().signal,
  state: {} as StateStore,
  mode: 'embedded',
  baseDir: process.cwd(),
  metrics: detachedPluginMetrics({ plugin: 'sftp', pipeline: 'test', component: 'source' }),
};
const LINES = 100_000;
let sshd: ThrowawaySshd;
let directory: string;

beforeAll(async () => {
  sshd = await ThrowawaySshd.start();
  directory = join(sshd.dataDir, 'batches');
  mkdirSync(directory, { recursive: true });
  // ~8 MB: far more than the stream buffers, so later polls continue a transfer that was paused.
  const text = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(8, '0')} ${'x'.repeat(64)}`);
  writeFileSync(join(directory, 'big.txt'), `${text.join('\n')}\n`);
}, 60_000);
afterAll(async () => {
  await sshd?.destroy();
});

describe.each([
  ['sftp', sftpSource],
  ['scp', scpSource],
] as const)('%s source, a big file in many batches', (protocol, plugin) => {
  it('reads every line once, in order, across polls', async () => {
    const config = plugin.config.parse({
      host: '127.0.0.1',
      port: sshd.port,
      user: SSH_USER,
      privateKey: sshd.clientKeyPath,
      knownHosts: sshd.knownHostsPath,
      directory,
      format: 'lines',
      stableMs: 0,
      batchSize: 10_000,
    });
    const source = await plugin.create(config, ctx);
    if (!isPollSource(source)) throw new Error(`the ${protocol} source should poll`);
    const seen: string[] = [];
    let checkpoint: unknown;
    let polls = 0;
    try {
      for (;;) {
        const r = await source.poll(checkpoint);
        polls++;
        for (const e of r.events) seen.push(String(e.value).slice(0, 13));
        checkpoint = r.checkpoint;
        if (!r.hasMore) break;
      }
    } finally {
      await source.close?.();
    }
    expect(polls).toBeGreaterThanOrEqual(LINES / 10_000);
    expect(seen.length).toBe(LINES);
    expect(seen[0]).toBe('line 00000000');
    expect(seen[LINES - 1]).toBe(`line ${String(LINES - 1).padStart(8, '0')}`);
    expect(new Set(seen).size).toBe(LINES);
  }, 120_000);
});
