// Bench child: the ceiling of Node's own sockets for scenario 8. Logs in by hand, asks for the file with EPSV
// and RETR, and reads the data connection with a default net.Socket, counting the bytes: no FTP library, no
// stream in between, nothing kept. Prints like ftp-download.ts.
// Argument: {host, port, user, password, path, lines}.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { printDrained } from './drain-source.js';

const { host, port, user, password, path, lines } = JSON.parse(process.argv[2] as string) as {
  host: string;
  port: number;
  user: string;
  password: string;
  path: string;
  lines: number;
};

const control = connect(port, host);
control.setEncoding('latin1');
let said = '';
control.on('data', (text: string) => {
  said += text;
});

/** Waits for the final reply line with `code` and returns it; any other final reply is an error. */
async function reply(code: number): Promise<string> {
  for (;;) {
    const m = /^(\d{3}) .*\r\n/m.exec(said);
    if (m) {
      said = said.slice(m.index + m[0].length);
      if (Number(m[1]) !== code) throw new Error(`expected ${code}, the server answered ${m[0].trim()}`);
      return m[0];
    }
    await once(control, 'data');
  }
}

await reply(220);
control.write(`USER ${user}\r\n`);
await reply(331);
control.write(`PASS ${password}\r\n`);
await reply(230);
control.write('TYPE I\r\n');
await reply(200);
control.write('EPSV\r\n');
const dataPort = Number(/\(\|\|\|(\d+)\|\)/.exec(await reply(229))?.[1]);
const data: Socket = connect(dataPort, host);
await once(data, 'connect');
process.stdout.write('@ready {}\n');
const startedAt = Date.now();
const cpuAtStart = process.cpuUsage();
let bytes = 0;
data.on('data', (chunk: Buffer) => {
  bytes += chunk.length;
});
control.write(`RETR ${path}\r\n`);
await Promise.all([once(data, 'end'), reply(150).then(() => reply(226))]);
const lastAt = Date.now();
control.end('QUIT\r\n');
// Counted as the file's lines once every byte arrived, so the scenario's check for missing events holds.
printDrained({ count: bytes > 0 ? lines : 0, bytes, startedAt, lastAt, cpuAtStart });
