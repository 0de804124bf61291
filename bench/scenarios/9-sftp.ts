// Scenario 9, SFTP and SCP: one big file of lines on an OpenSSH sshd of the bench's own, read by the sftp and
// the scp sources line by line, alone and with each poll stored in a topic as a pipeline does (peak memory must
// stay under 256 MiB, whatever the file size), against OpenSSH's
// own clients copying the same file to /dev/null: the sftp source's bytes/s must reach 0.8× `sftp -b`'s, the
// scp source's 0.8× `scp -O`'s.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SSH_USER, ThrowawaySshd } from '../../test/harness/throwaway-sshd.js';
import { spawnScript } from '../harness/child.js';
import { measurementOfDrain } from '../harness/drain-source.js';
import { writeLines } from '../harness/line-file.js';
import { type RunContext, ratioOf, repeat, type Scenario, type ScenarioResult } from '../harness/scenario.js';

const run = promisify(execFile);

export const sftp: Scenario = {
  name: 'sftp',
  title: '9. SFTP/SCP: a big file read line by line by the sftp and scp sources, against OpenSSH (MB/s, peak RSS)',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const server = await ThrowawaySshd.start();
    try {
      const bytesWanted = ctx.smoke ? 20 * 2 ** 20 : 2 ** 30;
      const directory = join(server.dataDir, 'big');
      const file = join(directory, 'lines.txt');
      mkdirSync(directory, { recursive: true });
      const lines = await writeLines(file, bytesWanted);
      const size = statSync(file).size;
      const timeoutMs = ctx.smoke ? 60_000 : 900_000;
      // The same login for every variant: the test key, checked against this server's host key.
      const clientOptions = [
        '-i',
        server.clientKeyPath,
        '-o',
        `UserKnownHostsFile=${server.knownHostsPath}`,
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-P',
        String(server.port),
      ];
      const sourceVariant = (protocol: 'sftp' | 'scp', intoTopic: boolean) => ({
        name: `${protocol} source${intoTopic ? ' → topic' : ''}`,
        description: `${protocol} source, format lines, batchSize 10000, ${intoTopic ? 'each poll appended to a topic' : 'events counted and dropped'}; ${lines} lines, ${size} bytes`,
        async measure() {
          const spec = {
            protocol,
            intoTopic,
            host: '127.0.0.1',
            port: server.port,
            user: SSH_USER,
            privateKey: server.clientKeyPath,
            knownHosts: server.knownHostsPath,
            directory,
            batchSize: 10_000,
          };
          const child = spawnScript('harness/ssh-lines.ts', spec, {
            label: `${protocol}-lines${intoTopic ? '-topic' : ''}`,
            cpuProfileDir: ctx.profileDir,
          });
          return measurementOfDrain(await child.result(timeoutMs), { lines, size });
        },
      });
      const clientVariant = (name: string, description: string, copy: () => Promise<unknown>) => ({
        name,
        description,
        async measure() {
          const started = Date.now();
          await copy();
          const seconds = Math.max(0.001, (Date.now() - started) / 1000);
          return { eventsPerSec: lines / seconds, mbPerSec: size / 1e6 / seconds };
        },
      });
      result.variants = await repeat(ctx, [
        sourceVariant('sftp', false),
        sourceVariant('sftp', true),
        clientVariant('sftp client', 'OpenSSH sftp -b: get of the same file to /dev/null', async () => {
          const child = execFile('sftp', [...clientOptions, '-b', '-', `${SSH_USER}@127.0.0.1`], {
            timeout: timeoutMs,
          });
          child.stdin?.end(`get ${file} /dev/null\n`);
          const [code] = (await once(child, 'exit')) as [number | null];
          if (code !== 0) throw new Error(`sftp -b get ${file} /dev/null exited with ${code}`);
        }),
        sourceVariant('scp', false),
        sourceVariant('scp', true),
        clientVariant('scp -O', 'OpenSSH scp -O (legacy SCP protocol) of the same file to /dev/null', () =>
          run('scp', ['-O', '-q', ...clientOptions, `${SSH_USER}@127.0.0.1:${file}`, '/dev/null'], {
            timeout: timeoutMs,
          }),
        ),
      ]);
      result.ratios.push(
        ratioOf('sftp source / sftp client (MB/s)', result.variants, 'sftp source', 'sftp client', 'mbPerSec', {
          atLeast: 0.8,
        }),
        ratioOf('scp source / scp -O (MB/s)', result.variants, 'scp source', 'scp -O', 'mbPerSec', { atLeast: 0.8 }),
        ratioOf(
          'sftp source → topic / sftp client (MB/s)',
          result.variants,
          'sftp source → topic',
          'sftp client',
          'mbPerSec',
        ),
        ratioOf('scp source → topic / scp -O (MB/s)', result.variants, 'scp source → topic', 'scp -O', 'mbPerSec'),
      );
      result.notes.push('target: sftp and scp sources peak RSS under 256 MiB for the 1 GB file (full run)');
    } finally {
      await server.destroy();
    }
    return result;
  },
};
