// An OpenSSH sshd of the test's own (started by servers/sshd-run.sh, as root): SFTP through internal-sftp and
// exec channels for legacy SCP. Login sftpuser/sftppass or the generated client key; files live in `dataDir`.
// `crash()` kills the listener and every session process it forked, like a host that lost power.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fingerprintOf } from '../../connectors/sftp/host-key.js';
import { accepts, freePort } from './loopback.js';

const SCRIPT = fileURLToPath(new URL('./servers/sshd-run.sh', import.meta.url));
const run = promisify(execFile);

export const SSH_USER = 'sftpuser';
export const SSH_PASSWORD = 'sftppass';

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry), ...childrenOf(Number(entry)));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export class ThrowawaySshd {
  private process: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<ThrowawaySshd> {
    const sshd = new ThrowawaySshd(await mkdtemp(join(tmpdir(), 'sluice-sshd-')), await freePort());
    await sshd.run();
    writeFileSync(sshd.knownHostsPath, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKeyLine()}\n`);
    return sshd;
  }

  /** Folder on the server where sftpuser may write (an absolute path, the same on both sides). */
  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get clientKeyPath(): string {
    return join(this.dir, 'client_key');
  }

  get knownHostsPath(): string {
    return join(this.dir, 'known_hosts');
  }

  private hostPublicKeyLine(): string {
    const [type, key] = readFileSync(join(this.dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
    return `${type} ${key}`;
  }

  /** The server's host-key fingerprint, `SHA256:…`. */
  get hostKeyFingerprint(): string {
    return fingerprintOf(Buffer.from(this.hostPublicKeyLine().split(' ')[1], 'base64'));
  }

  private async run(): Promise<void> {
    const child = spawn('bash', [SCRIPT, this.dir, String(this.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    this.process = child;
    const deadline = Date.now() + 30_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`throwaway sshd exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`throwaway sshd not ready on port ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Options for the OpenSSH clients: the test key, this server's known_hosts, no prompts. */
  private clientOptions(): string[] {
    return [
      '-i',
      this.clientKeyPath,
      '-o',
      `UserKnownHostsFile=${this.knownHostsPath}`,
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
    ];
  }

  /** Runs OpenSSH's `sftp` with a batch of commands (`put a b`, `rename x y` …). */
  async sftp(commands: string[]): Promise<void> {
    const child = spawn(
      'sftp',
      [...this.clientOptions(), '-P', String(this.port), '-b', '-', `${SSH_USER}@127.0.0.1`],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdin.end(`${commands.join('\n')}\n`);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`sftp ${commands.join('; ')} failed (${code}): ${stderr}`);
  }

  /** Copies a local file to the server with the legacy SCP protocol (`scp -O`). */
  async scpPut(localPath: string, remotePath: string): Promise<void> {
    await run('scp', [
      '-O',
      '-q',
      ...this.clientOptions(),
      '-P',
      String(this.port),
      localPath,
      `${SSH_USER}@127.0.0.1:${remotePath}`,
    ]);
  }

  /** Stops the server gracefully (existing sessions keep running, as with OpenSSH's own restart). */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    this.process = undefined;
  }

  /** Kills the server and all its session processes at once (SIGKILL): connections die without a goodbye. */
  async crash(): Promise<void> {
    const child = this.process;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const pid of [...childrenOf(child.pid), child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    this.process = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  async destroy(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
