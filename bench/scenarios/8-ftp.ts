// Scenario 8, FTP: one big file of lines on a vsftpd of the bench's own, read by the ftp source line by line,
// alone and with each poll stored in a topic as a pipeline does (peak memory must stay under 256 MiB, whatever the
// file size), against curl downloading the same file to /dev/null (the ftp source's bytes/s must reach 0.8×
// curl's).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ThrowawayVsftpd } from '../../test/harness/throwaway-vsftpd.js';
import { spawnScript } from '../harness/child.js';
import { measurementOfDrain } from '../harness/drain-source.js';
import { writeLines } from '../harness/line-file.js';
import { type RunContext, ratioOf, repeat, type Scenario, type ScenarioResult } from '../harness/scenario.js';

export const ftp: Scenario = {
  name: 'ftp',
  title: '8. FTP: a big file read line by line by the ftp source, against curl (MB/s, peak RSS)',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const server = await ThrowawayVsftpd.start();
    try {
      const bytesWanted = ctx.smoke ? 20 * 2 ** 20 : 2 ** 30;
      execFileSync('mkdir', ['-p', join(server.root, 'big')]);
      const lines = await writeLines(join(server.root, 'big', 'lines.txt'), bytesWanted);
      const size = statSync(join(server.root, 'big', 'lines.txt')).size;
      const timeoutMs = ctx.smoke ? 60_000 : 600_000;
      const sourceVariant = (intoTopic: boolean) => ({
        name: intoTopic ? 'ftp source → topic' : 'ftp source',
        description: `ftp source, format lines, batchSize 10000, ${intoTopic ? 'each poll appended to a topic' : 'events counted and dropped'}; ${lines} lines, ${size} bytes`,
        async measure() {
          const spec = {
            host: '127.0.0.1',
            port: server.port,
            user: server.user,
            password: server.password,
            directory: '/big',
            batchSize: 10_000,
            intoTopic,
          };
          const child = spawnScript('harness/ftp-lines.ts', spec, {
            label: intoTopic ? 'ftp-lines-topic' : 'ftp-lines',
            cpuProfileDir: ctx.profileDir,
          });
          return measurementOfDrain(await child.result(timeoutMs), { lines, size });
        },
      });
      result.variants = await repeat(ctx, [
        sourceVariant(false),
        sourceVariant(true),
        {
          name: 'ftp download',
          description: `the ftp connectors' download of the same file (their file system's read stream: bytes, no events)`,
          async measure() {
            const spec = {
              host: '127.0.0.1',
              port: server.port,
              user: server.user,
              password: server.password,
              path: '/big/lines.txt',
              lines,
            };
            const child = spawnScript('harness/ftp-download.ts', spec, {
              label: 'ftp-download',
              cpuProfileDir: ctx.profileDir,
            });
            return measurementOfDrain(await child.result(timeoutMs), { lines, size });
          },
        },
        {
          name: 'curl',
          description: 'curl -o /dev/null of the same file',
          async measure() {
            const started = Date.now();
            execFileSync('curl', ['-sS', '-o', '/dev/null', server.url('/big/lines.txt')]);
            const seconds = Math.max(0.001, (Date.now() - started) / 1000);
            return { eventsPerSec: lines / seconds, mbPerSec: size / 1e6 / seconds };
          },
        },
      ]);
      result.ratios.push(
        ratioOf('ftp download / curl (MB/s)', result.variants, 'ftp download', 'curl', 'mbPerSec', { atLeast: 0.8 }),
        ratioOf('ftp source (lines → events) / curl (MB/s)', result.variants, 'ftp source', 'curl', 'mbPerSec'),
        ratioOf('ftp source → topic / curl (MB/s)', result.variants, 'ftp source → topic', 'curl', 'mbPerSec'),
      );
      result.notes.push('target: ftp source peak RSS under 256 MiB for the 1 GB file (full run)');
    } finally {
      await server.stop();
    }
    return result;
  },
};
