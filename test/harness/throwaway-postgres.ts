// A PostgreSQL of the test's own (started by servers/postgres-run.sh), for tests that stop and
// restart the server. The machine's own PostgreSQL is never touched. Superuser `etl`, trust auth.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { accepts, freePort } from './loopback.js';

const SCRIPT = process.env.SLUICE_PG_RUN_SCRIPT ?? fileURLToPath(new URL('./servers/postgres-run.sh', import.meta.url));

export class ThrowawayPostgres {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayPostgres> {
    const pg = new ThrowawayPostgres(await freePort());
    await pg.run();
    const admin = knexFactory({ client: 'pg', connection: pg.url('postgres') });
    try {
      await admin.raw('CREATE DATABASE etltest');
    } finally {
      await admin.destroy();
    }
    return pg;
  }

  url(database = 'etltest'): string {
    return `postgres://etl@127.0.0.1:${this.port}/${database}`;
  }

  private async run(): Promise<void> {
    const child = spawn('bash', [SCRIPT, this.dir, String(this.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    this.process = child;
    const deadline = Date.now() + 60_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`throwaway PostgreSQL exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`throwaway PostgreSQL not ready on port ${this.port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Accepting TCP is not yet accepting logins (startup, recovery): wait for a query to work.
    const probe = knexFactory({ client: 'pg', connection: this.url('postgres'), pool: { min: 0, max: 1 } });
    try {
      for (;;) {
        try {
          await probe.raw('SELECT 1');
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await probe.destroy();
    }
  }

  /** Fast shutdown (SIGINT), waiting for the server to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await exited;
    this.process = undefined;
  }

  async restart(downMs = 500): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.run();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
