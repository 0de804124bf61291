// templates/pipelines/ftp-to-sql.yaml run as the README says, with `sluice run`: CSV files uploaded by curl to a
// real vsftpd land as rows in PostgreSQL, and each finished file is moved to /done/<date>.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { createTestDatabase, rows, type TestDatabase } from '../harness/sql-databases.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';

let server: ThrowawayVsftpd;
let db: TestDatabase;
beforeAll(async () => {
  server = await ThrowawayVsftpd.start();
  db = await createTestDatabase('pg', 'sluice_ftp');
  mkdirSync(join(server.root, 'drop'));
  execFileSync('chown', [`${server.user}:`, join(server.root, 'drop')]);
}, 60_000);
afterAll(async () => {
  await db?.drop();
  await server?.stop();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('loads the rows of uploaded CSV files into PostgreSQL and moves each file to /done/<date>', async () => {
  execFileSync('curl', ['-sS', '-T', '-', server.url('/drop/orders-1.csv')], {
    input: 'order_id,customer,amount\n1,ada,10.50\n2,"lin, jr",3\n',
  });
  let child: ChildProcess | undefined;
  const running = runCli(['run', 'templates/pipelines/ftp-to-sql.yaml'], {
    env: {
      FTP_HOST: '127.0.0.1',
      FTP_PORT: String(server.port),
      FTP_USER: server.user,
      FTP_PASSWORD: server.password,
      DATABASE_URL: db.url,
      STABLE_MS: '500',
    },
    timeoutMs: 120_000,
    onSpawn: (c) => {
      child = c;
    },
  });
  try {
    const loaded = await until('the rows', async () => {
      const r = await rows<{ order_id: string; customer: string }>(
        db.knex,
        'SELECT order_id, customer FROM orders ORDER BY order_id',
      );
      return r.length === 2 ? r : undefined;
    });
    expect(loaded.map((r) => [String(r.order_id), r.customer])).toEqual([
      ['1', 'ada'],
      ['2', 'lin, jr'],
    ]);
    const date = new Date().toISOString().slice(0, 10);
    await until('the move', async () =>
      existsSync(join(server.root, 'done', date, 'orders-1.csv')) ? true : undefined,
    );
    expect(readdirSync(join(server.root, 'drop'))).toEqual([]);
  } finally {
    child?.kill('SIGINT');
    await running.catch(() => undefined);
  }
}, 120_000);
