// A redis-server of a test's own, on a free loopback port with its own data folder, for tests that stop,
// restart, crash or misconfigure Redis. Never touches the machine's Redis. Extra arguments come after the
// defaults and so win over them: `{ args: ['--appendonly', 'yes', '--appendfsync', 'always'] }`.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback.js';

export interface RedisServerOptions {
  /** redis-server arguments added after the defaults (no persistence, loopback, loglevel warning). */
  args?: string[];
  /** Port to listen on; default a free one. */
  port?: number;
}

// Servers still running when the test process exits are killed with it rather than left behind.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class RedisServer {
  private child?: ChildProcess;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {}

  /** Starts a server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const server = new RedisServer(port, await mkdtemp(join(tmpdir(), 'sluice-redis-')), options.args ?? []);
    try {
      await server.resume();
    } catch (err) {
      await rm(server.dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server again on the same port and data folder (after `halt`). */
  async resume(): Promise<void> {
    if (this.child) return;
    // biome-ignore format: one option per line reads better
    const child = spawn('redis-server', [
      '--bind', '127.0.0.1',
      '--port', String(this.port),
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--loglevel', 'warning',
      ...this.args,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (err) =>
        reject(new Error(`could not start redis-server (is it installed?): ${err.message}`)),
      );
      child.once('exit', (code) =>
        reject(new Error(`redis-server on port ${this.port} exited (${code}) while starting:\n${this.output}`)),
      );
    });
    await Promise.race([waitForPong(this.port, 15_000), spawnError]);
  }

  /** Stops the process (SIGTERM for a clean shutdown, SIGKILL for a crash) and keeps the data folder. */
  async halt(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Stops the server and starts it again on the same port and data, after `downMs` of outage. */
  async restart(options: { signal?: NodeJS.Signals; downMs?: number } = {}): Promise<void> {
    await this.halt(options.signal);
    if (options.downMs) await new Promise((resolve) => setTimeout(resolve, options.downMs));
    await this.resume();
  }

  /** Stops the server for good and deletes its data folder. */
  async stop(): Promise<void> {
    await this.halt('SIGTERM');
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Resolves once the server answers PING with PONG (not LOADING or a refused connection). */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await new Promise<string>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      let text = '';
      socket.setTimeout(1000, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        text += chunk.toString();
        if (text.includes('\r\n')) socket.end();
      });
      socket.once('close', () => resolve(text));
      socket.once('error', () => undefined);
    });
    if (answer.startsWith('+PONG')) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING (${answer.trim()})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
