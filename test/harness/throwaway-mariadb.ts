// A MariaDB of the test's own (started by servers/mariadb-run.sh), for tests that need server
// settings the machine's MariaDB must keep (a global sql_mode). Root logs in through the socket; the test user
// `etl`/`etlpass` and the database `etltest` are created once the server is ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import { freePort } from './loopback.js';

const SCRIPT =
  process.env.SLUICE_MARIADB_RUN_SCRIPT ?? fileURLToPath(new URL('./servers/mariadb-run.sh', import.meta.url));

export class ThrowawayMariadb {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-mariadb-'));
  /** Root over the socket. */
  root!: Knex;

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayMariadb> {
    const db = new ThrowawayMariadb(await freePort());
    const child = spawn('bash', [SCRIPT, db.dir, String(db.port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    db.process = child;
    db.root = knexFactory({
      client: 'mysql2',
      connection: { socketPath: join(db.dir, 'mysqld.sock'), user: 'root' },
      pool: { min: 0, max: 1 },
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await db.root.raw('SELECT 1');
        break;
      } catch (err) {
        if (child.exitCode !== null) throw new Error(`throwaway MariaDB exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await db.root.raw('CREATE DATABASE etltest');
    await db.root.raw("CREATE USER 'etl'@'%' IDENTIFIED BY 'etlpass'");
    await db.root.raw("GRANT ALL ON etltest.* TO 'etl'@'%'");
    return db;
  }

  get url(): string {
    return `mysql://etl:etlpass@127.0.0.1:${this.port}/etltest`;
  }

  async destroy(): Promise<void> {
    await this.root?.destroy();
    const child = this.process;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
