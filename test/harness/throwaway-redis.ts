// A redis-server of a test's own, on a free port with an append-only file fsynced on every write, so a test can
// stop it (or kill it) and start it again on the same data. Never touches the machine's Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ThrowawayRedis {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<ThrowawayRedis> {
    const redis = new ThrowawayRedis(await freePort(), await mkdtemp(join(tmpdir(), 'sluice-redis-')));
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server on the same port and data folder. */
  async resume(): Promise<void> {
    // biome-ignore format: one flag per line reads better
    const child = spawn('redis-server', [
      '--bind', '127.0.0.1', '--port', String(this.port), '--dir', this.dir,
      '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
      '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning',
      '--maxmemory-policy', 'noeviction',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', (err) => {
      throw new Error(`could not start redis-server (is it installed?): ${err.message}`);
    });
    this.process = child;
    await waitForPort(this.port, 10_000);
  }

  /** Stops the server (SIGTERM, or SIGKILL to crash it) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.process = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not accept connections on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
