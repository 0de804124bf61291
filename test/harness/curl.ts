// Runs the curl CLI against a test server and reads its answer: status, headers (of the final response, after
// any 100 Continue) and body. Fails loudly when curl is not installed.
import { execFile, spawn } from 'node:child_process';

export interface CurlResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
}

function parse(output: string): CurlResponse {
  // `-i` prints every response's head; the last head (after 1xx interim answers) is the final one.
  let rest = output;
  let head = '';
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`curl printed no response head: ${output.slice(0, 200)}`);
    head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    if (!/^HTTP\/[\d.]+ 1\d\d/.test(head)) break;
  }
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let json: unknown;
  try {
    json = JSON.parse(rest);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest, json };
}

/** `curl -sS -i <args>`; `stdin` is piped in when given (for `--data-binary @-` or `-T -`). */
export function curl(args: string[], stdin?: Buffer | string): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'curl',
      ['-sS', '-i', '--max-time', '30', ...args],
      { encoding: 'latin1', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && !stdout) {
          reject(new Error(`curl ${args.join(' ')} failed: ${stderr || err.message}`));
          return;
        }
        try {
          resolve(parse(Buffer.from(stdout, 'latin1').toString('utf8')));
        } catch (e) {
          reject(e);
        }
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** Pipes `bytes` zero bytes from `head -c` into curl (`curl <args>` should read `-T -` or `@-`). */
export function curlStreamingZeros(bytes: number, args: string[]): Promise<CurlResponse> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [
      '-c',
      `head -c ${bytes} /dev/zero | curl -sS -i --max-time 60 ${args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')}`,
    ]);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(parse(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(new Error(`${(e as Error).message}; curl said: ${Buffer.concat(err).toString()}`));
      }
    });
  });
}
