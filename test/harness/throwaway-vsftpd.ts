// A vsftpd of the test's own (servers/vsftpd-run.sh), plain, explicit or implicit FTPS, on free loopback ports, with the test
// user ftpuser/ftppass (created by the script when missing). Tests may kill and restart it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accepts, freePort } from './loopback.js';

const SCRIPT = fileURLToPath(new URL('./servers/vsftpd-run.sh', import.meta.url));

export class ThrowawayVsftpd {
  private process: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-vsftpd-'));
  readonly user = 'ftpuser';
  readonly password = 'ftppass';

  private constructor(
    readonly port: number,
    private readonly passive: number,
    /** true: explicit FTPS (AUTH TLS); 'implicit': TLS from the first byte. */
    readonly tls: boolean | 'implicit',
  ) {}

  /** `passive`: the first of ten passive ports; free ones are picked when not given. */
  static async start(options: { tls?: boolean | 'implicit' } = {}): Promise<ThrowawayVsftpd> {
    const passive = 30_000 + Math.floor(Math.random() * 3000) * 10;
    const server = new ThrowawayVsftpd(await freePort(), passive, options.tls ?? false);
    await server.run();
    return server;
  }

  /** The folder that is `/` for ftpuser. */
  get root(): string {
    return join(this.dir, 'root');
  }

  /** The server's certificate (PEM), with tls. */
  certificate(): Buffer {
    return readFileSync(join(this.dir, 'cert.pem'));
  }

  url(path = '/'): string {
    return `ftp://${this.user}:${this.password}@127.0.0.1:${this.port}${path}`;
  }

  async run(): Promise<void> {
    const args = [
      SCRIPT,
      this.dir,
      String(this.port),
      String(this.passive),
      String(this.passive + 9),
      this.tls === 'implicit' ? 'implicit' : this.tls ? '1' : '0',
    ];
    const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    this.process = child;
    const deadline = Date.now() + 60_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`throwaway vsftpd exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`throwaway vsftpd not ready on port ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills the daemon and every session it forked (cuts every connection), waiting until they are gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // vsftpd forks a process per session: kill the listener and its children.
    spawn('pkill', ['-KILL', '-P', String(child.pid)]).once('exit', () => child.kill('SIGKILL'));
    await exited;
    while (await accepts(this.port)) await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
