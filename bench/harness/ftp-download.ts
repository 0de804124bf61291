// Bench child: downloads one file from an FTP server through the ftp connectors' file system (the same
// connection, TLS and passive-mode code the source reads with), bytes only, no events: the connector's download
// throughput, beside curl's. Prints its peak memory like drainSource does.
// Argument: {host, port, user, password, path, lines}.
import { ftpConnectionShape } from '../../connectors/ftp/connection.js';
import { ftpOpener } from '../../connectors/ftp/open-ftp.js';
import { z } from '../../core/plugin.js';
import { benchSourceContext, printDrained } from './drain-source.js';

const { path, lines, ...connection } = JSON.parse(process.argv[2] as string) as {
  path: string;
  lines: number;
} & Record<string, unknown>;
const fs = await ftpOpener(z.object(ftpConnectionShape()).parse(connection), benchSourceContext, 'bench')();
process.stdout.write('@ready {}\n');
const startedAt = Date.now();
const cpuAtStart = process.cpuUsage();
let bytes = 0;
for await (const chunk of await fs.read(path)) bytes += (chunk as Buffer).length;
const lastAt = Date.now();
await fs.close();
// Counted as the file's lines once every byte arrived, so the scenario's check for missing events holds.
printDrained({ count: bytes > 0 ? lines : 0, bytes, startedAt, lastAt, cpuAtStart });
