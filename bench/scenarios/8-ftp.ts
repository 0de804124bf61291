// Scenario 8, FTP: one big file of lines on a vsftpd of the bench's own, read by the ftp source line by line,
// alone and with each poll stored in a topic as a pipeline does (peak memory must stay under 256 MiB, whatever the
// file size), against curl downloading the same file to /dev/null (the ftp source's bytes/s must reach 0.8×
// curl's).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ThrowawayVsftpd } from '../../test/harness/throwaway-vsftpd.js';
import { deleteKeys, REDIS_URL } from '../harness/bench-redis.js';
import { spawnScript } from '../harness/child.js';
import { measurementOfDrain, type TopicKind } from '../harness/drain-source.js';
import { writeLines } from '../harness/line-file.js';
import { type RunContext, ratioOf, repeat, type Scenario, type ScenarioResult } from '../harness/scenario.js';

export const ftp: Scenario = {
  name: 'ftp',
  title: '8. FTP: a big file read line by line by the ftp source, against curl (MB/s, peak RSS)',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const server = await ThrowawayVsftpd.start();
    // One key prefix per run of the Redis variant, all deleted at the end.
    const redisPrefixes: string[] = [];
    try {
      const bytesWanted = ctx.smoke ? 20 * 2 ** 20 : 2 ** 30;
      execFileSync('mkdir', ['-p', join(server.root, 'big')]);
      const lines = await writeLines(join(server.root, 'big', 'lines.txt'), bytesWanted);
      const size = statSync(join(server.root, 'big', 'lines.txt')).size;
      // Into Redis on a loaded machine, 1 GiB of lines took over 10 minutes.
      const timeoutMs = ctx.smoke ? 60_000 : 1_800_000;
      const login = { host: '127.0.0.1', port: server.port, user: server.user, password: server.password };
      const childVariant = (name: string, description: string, script: string, spec: () => object) => ({
        name,
        description,
        async measure() {
          const child = spawnScript(script, spec(), {
            label: name.replace(/\W+/g, '-'),
            cpuProfileDir: ctx.profileDir,
          });
          return measurementOfDrain(await child.result(timeoutMs), { lines, size });
        },
      });
      const sourceVariant = (name: string, topic: string, into: () => TopicKind) =>
        childVariant(
          name,
          `ftp source, format lines, batchSize 10000, ${topic}; ${lines} lines, ${size} bytes`,
          'harness/ftp-lines.ts',
          () => ({ ...login, directory: '/big', batchSize: 10_000, into: into() }),
        );
      const downloadSpec = () => ({ ...login, path: '/big/lines.txt', lines });
      result.variants = await repeat(ctx, [
        sourceVariant('ftp source', 'events counted and dropped', () => 'none'),
        sourceVariant(
          'ftp source → topic',
          "each poll appended to a topic of the embedded mode's storage",
          () => 'embedded',
        ),
        sourceVariant('ftp source → redis topic', 'each poll appended to a topic in Redis (127.0.0.1:6379)', () => {
          const prefix = `${ctx.prefix}-ftp-${redisPrefixes.length + 1}`;
          redisPrefixes.push(prefix);
          return { redis: REDIS_URL, prefix };
        }),
        childVariant(
          'ftp download',
          "the ftp connectors' download of the same file (their file system's read stream: bytes, no events)",
          'harness/ftp-download.ts',
          downloadSpec,
        ),
        childVariant(
          'node socket',
          'the ceiling of a default net.Socket: RETR by hand, the data connection read and its bytes counted, no library',
          'harness/ftp-bare-socket.ts',
          downloadSpec,
        ),
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
        ratioOf('node socket / curl (MB/s)', result.variants, 'node socket', 'curl', 'mbPerSec'),
        ratioOf('ftp source (lines → events) / curl (MB/s)', result.variants, 'ftp source', 'curl', 'mbPerSec'),
        ratioOf('ftp source → topic / curl (MB/s)', result.variants, 'ftp source → topic', 'curl', 'mbPerSec'),
        ratioOf(
          'ftp source → redis topic / curl (MB/s)',
          result.variants,
          'ftp source → redis topic',
          'curl',
          'mbPerSec',
        ),
      );
      result.notes.push('target: ftp source peak RSS under 256 MiB for the 1 GB file (full run)');
    } finally {
      await server.stop();
      for (const prefix of redisPrefixes) await deleteKeys(ctx.redis, prefix);
    }
    return result;
  },
};
