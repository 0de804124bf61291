// Canary secrets: a receiver that echoes every request header back in its error answers is the classic leak
// (the answer's excerpt goes into logs, errors and dead-letter details). No secret field of the http sink may
// show up in any of them, in plain text or base64.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ftpSink from '../../connectors/ftp/sink.js';
import ftpSource from '../../connectors/ftp/source.js';
import httpPollSource from '../../connectors/http/poll-source.js';
import httpSink from '../../connectors/http/sink.js';
import httpSource from '../../connectors/http/source.js';
import scpSink from '../../connectors/sftp/scp-sink.js';
import scpSource from '../../connectors/sftp/scp-source.js';
import sftpSink from '../../connectors/sftp/sink.js';
import sftpSource from '../../connectors/sftp/source.js';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import { createEvent } from '../../core/event.js';
import type { ListenSource, Plugin, PollSource, ProcessorInstance, SinkInstance } from '../../core/plugin.js';
import aesGcm from '../../plugins/crypto/aes-gcm.js';
import { recordFigure } from '../harness/figures.js';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { createTestContext, type TestContext } from '../harness/http-context.js';
import { closeServer, freePort } from '../harness/loopback.js';
import { runCli } from '../harness/run-cli.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

const CANARY = 'canary-7Qx9Zt2Lw5Vb8Nm3';
const variants: Array<{ name: string; config: Record<string, unknown>; canaries: string[] }> = [
  {
    name: 'headers',
    config: { headers: { authorization: `Bearer ${CANARY}-h`, 'x-api-key': `${CANARY}-k` } },
    canaries: [`${CANARY}-h`, `${CANARY}-k`],
  },
  { name: 'auth.bearer', config: { auth: { type: 'bearer', token: `${CANARY}-b` } }, canaries: [`${CANARY}-b`] },
  {
    name: 'auth.basic',
    config: { auth: { type: 'basic', username: 'u', password: `${CANARY}-p` } },
    canaries: [`${CANARY}-p`, Buffer.from(`u:${CANARY}-p`).toString('base64')],
  },
];
const answers = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503];

let server: Server;
let base: string;
beforeAll(async () => {
  // Answers the status named in the path (500 when it names none, as for the OPTIONS of `validate --connect`),
  // echoing the request headers in the body.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = Number(req.url?.split('/')[1]) || 500;
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: 'no', youSent: req.headers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => closeServer(server));

describe('canary secrets in the http sink', () => {
  it('never appear in errors, dead-letter details or logs, whatever the receiver echoes', async () => {
    const leaks: string[] = [];
    let tries = 0;
    for (const v of variants) {
      for (const status of answers) {
        tries++;
        const ctx = createTestContext({ pipeline: 'canary' });
        const sink = await httpSink.create(
          httpSink.config.parse({ url: `${base}/${status}`, retry: undefined, ...v.config }),
          ctx,
        );
        const seen: string[] = [];
        try {
          const result = await sink.write([createEvent({ value: { n: 1 } })]);
          for (const r of result?.rejected ?? []) seen.push(r.error.message, JSON.stringify(r.error));
        } catch (err) {
          seen.push(String(err), JSON.stringify(err), JSON.stringify((err as { details?: unknown }).details ?? null));
        } finally {
          await sink.close?.();
        }
        for (const log of ctx.logs) seen.push(JSON.stringify(log.obj), String(log.msg));
        const text = seen.join('\n');
        for (const c of v.canaries) if (text.includes(c)) leaks.push(`${v.name} answered ${status}: ${c}`);
      }
    }
    recordFigure({
      suite: 'security',
      case: 'canary secrets: http sink',
      tries,
      held: tries - new Set(leaks.map((l) => l.split(':')[0])).size,
    });
    expect(leaks).toEqual([]);
  });
});

// Every other built-in with a secret() field, made to fail the ways it can on this machine: a closed port on
// loopback, a login the real database refuses, a key that does not parse or does not match. What a user would
// see (the config check, start-up connection check, thrown errors with their details, rejected records, log
// lines) must not hold the secret, whole or as the part a connection string carries.
type Exercise = (instance: unknown, ctx: TestContext) => Promise<unknown>;
interface SecretCase {
  row: string;
  plugin: Plugin;
  config: Record<string, unknown>;
  canaries: string[];
  exercise: Exercise;
}

const writeOne: Exercise = (sink) => (sink as SinkInstance).write([createEvent({ key: 'k', value: { id: 1, n: 1 } })]);
const pollOnce: Exercise = (source) => (source as PollSource).poll(undefined);
const processGarbage: Exercise = async (processor) =>
  (processor as ProcessorInstance).process([createEvent({ value: Buffer.from('not a ciphertext, not at all') })]);

/** Serves, and answers what a sender with wrong credentials would send; the answers are what that sender sees. */
const refuseWrongCredentials: Exercise = async (instance, ctx) => {
  const source = instance as ListenSource & { address(): Promise<{ url: string }> };
  const listening = source.listen(async () => ({ ids: ['1-0'], duplicate: false }));
  const answers: string[] = [];
  try {
    const { url } = await source.address();
    const tries: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${CANARY}-b`.slice(0, -1) },
      { authorization: 'Bearer wrong', 'x-signature-timestamp': String(Math.floor(Date.now() / 1000)) },
      { authorization: `Bearer ${CANARY}-b`, 'x-signature': 'sha256=00', 'x-signature-timestamp': '1' },
    ];
    for (const headers of tries) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      answers.push(String(res.status), JSON.stringify([...res.headers]), await res.text());
    }
  } finally {
    ctx.controller.abort();
    await listening.catch((err: unknown) => answers.push(String(err), JSON.stringify(err)));
  }
  return answers;
};

const aesKey = Buffer.from(`${CANARY}-aes-gcm-key!`.slice(0, 32));
const aesHex = aesKey.toString('hex');
const aesBase64 = aesKey.toString('base64');
const pemCert = `-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n`;
const pemTlsKey = `-----BEGIN PRIVATE KEY-----\n${CANARY}-tlskey\n-----END PRIVATE KEY-----\n`;
const pemKey = `-----BEGIN OPENSSH PRIVATE KEY-----\n${CANARY}-pem\n-----END OPENSSH PRIVATE KEY-----\n`;

function secretCases(closedPort: number, echoPort: number, echoUrl: string, sshdPort: number): SecretCase[] {
  const cases: SecretCase[] = [];
  const sql = (client: string, url: string, password: string) => {
    const connection = { client, connection: url, pool: { acquireTimeoutMs: 3_000 } };
    cases.push(
      {
        row: `sql sink (${client}, ${url.includes(String(closedPort)) ? 'closed port' : 'login refused'})`,
        plugin: sqlSink,
        config: { ...connection, table: 'canary_rows', autoCreate: true },
        canaries: [password, url],
        exercise: writeOne,
      },
      {
        row: `sql source (${client}, ${url.includes(String(closedPort)) ? 'closed port' : 'login refused'})`,
        plugin: sqlSource,
        config: { ...connection, mode: 'bulk', table: 'canary_rows' },
        canaries: [password, url],
        exercise: pollOnce,
      },
    );
  };
  sql('pg', `postgres://sluice_canary_nobody:${CANARY}-pg@127.0.0.1:5432/test`, `${CANARY}-pg`);
  sql('pg', `postgres://postgres:${CANARY}-pgc@127.0.0.1:${closedPort}/test`, `${CANARY}-pgc`);
  sql('mysql2', `mysql://root:${CANARY}-my@127.0.0.1:3306/test`, `${CANARY}-my`);
  sql('mysql2', `mysql://root:${CANARY}-myc@127.0.0.1:${closedPort}/test`, `${CANARY}-myc`);

  for (const [where, port] of [
    ['closed port', closedPort],
    ['hostile server', echoPort],
  ] as const) {
    const ftp = {
      host: '127.0.0.1',
      port,
      user: 'canary',
      password: `${CANARY}-ftp`,
      timeoutMs: 3_000,
      connectRetries: 0,
    };
    cases.push(
      {
        row: `ftp sink (${where})`,
        plugin: ftpSink,
        config: { ...ftp, directory: '/out' },
        canaries: [`${CANARY}-ftp`],
        exercise: writeOne,
      },
      {
        row: `ftp source (${where})`,
        plugin: ftpSource,
        config: { ...ftp, directory: '/in' },
        canaries: [`${CANARY}-ftp`],
        exercise: pollOnce,
      },
    );
  }

  const ssh = { host: '127.0.0.1', acceptAnyHostKey: true, connectTimeoutMs: 3_000, timeoutMs: 3_000 };
  const sshSecrets = [
    {
      name: 'password, closed port',
      fields: { port: closedPort, user: 'canary', password: `${CANARY}-ssh` },
      canaries: [`${CANARY}-ssh`],
    },
    {
      name: 'password, login refused by sshd',
      fields: { port: sshdPort, user: SSH_USER, password: `${CANARY}-sshd` },
      canaries: [`${CANARY}-sshd`],
    },
    {
      name: 'privateKey + passphrase, closed port',
      fields: { port: closedPort, user: 'canary', privateKey: pemKey, passphrase: `${CANARY}-pass` },
      canaries: [`${CANARY}-pem`, `${CANARY}-pass`],
    },
  ];
  for (const [name, sink, source] of [
    ['sftp', sftpSink, sftpSource],
    ['scp', scpSink, scpSource],
  ] as const) {
    for (const s of sshSecrets) {
      cases.push(
        {
          row: `${name} sink (${s.name})`,
          plugin: sink,
          config: { ...ssh, ...s.fields, directory: '/out' },
          canaries: s.canaries,
          exercise: writeOne,
        },
        {
          row: `${name} source (${s.name})`,
          plugin: source,
          config: { ...ssh, ...s.fields, directory: '/in' },
          canaries: s.canaries,
          exercise: pollOnce,
        },
      );
    }
  }

  cases.push(
    {
      row: 'http source (bearerTokens + hmac.secret, wrong credentials sent)',
      plugin: httpSource,
      config: {
        host: '127.0.0.1',
        port: 0,
        path: '/in',
        auth: { bearerTokens: [`${CANARY}-b`], hmac: { secret: `${CANARY}-hmac` } },
      },
      canaries: [`${CANARY}-b`, `${CANARY}-hmac`],
      exercise: refuseWrongCredentials,
    },
    {
      row: 'http source (tls.key + passphrase that do not parse)',
      plugin: httpSource,
      config: {
        host: '127.0.0.1',
        port: 0,
        path: '/in',
        tls: { cert: pemCert, key: pemTlsKey, passphrase: `${CANARY}-tlsp` },
      },
      canaries: [`${CANARY}-tlskey`, `${CANARY}-tlsp`],
      exercise: refuseWrongCredentials,
    },
    ...(
      [
        ['token endpoint closed', `http://127.0.0.1:${closedPort}/token`, 'basic'],
        ['token endpoint echoes headers', `${echoUrl}/401`, 'basic'],
        ['secret in the form, endpoint answers 500', `${echoUrl}/500`, 'body'],
      ] as const
    ).map(([where, tokenUrl, clientAuth]) => ({
      row: `http sink (oauth2 clientSecret, ${where})`,
      plugin: httpSink,
      config: {
        url: `${echoUrl}/200`,
        auth: { type: 'oauth2', tokenUrl, clientId: 'c', clientSecret: `${CANARY}-oauth`, clientAuth },
      },
      canaries: [`${CANARY}-oauth`, Buffer.from(`c:${CANARY}-oauth`).toString('base64')],
      exercise: writeOne,
    })),
    ...(
      [
        ['closed port', `http://127.0.0.1:${closedPort}/items`],
        ['answer echoes headers', `${echoUrl}/403`],
      ] as const
    ).map(([where, url]) => ({
      row: `http poll source (headers, ${where})`,
      plugin: httpPollSource,
      config: { url, headers: { 'x-api-key': `${CANARY}-poll`, authorization: `Bearer ${CANARY}-pollb` } },
      canaries: [`${CANARY}-poll`, `${CANARY}-pollb`],
      exercise: pollOnce,
    })),
    {
      row: 'aes-gcm (keys, decrypting garbage)',
      plugin: aesGcm,
      config: { action: 'decrypt', keys: { k1: aesHex } },
      canaries: [aesHex, aesBase64],
      exercise: processGarbage,
    },
    {
      row: 'aes-gcm (keys, malformed key)',
      plugin: aesGcm,
      config: { action: 'encrypt', keys: { k1: `${CANARY}-not-a-key` } },
      canaries: [`${CANARY}-not-a-key`],
      exercise: processGarbage,
    },
  );
  return cases;
}

/** Everything a user could see of one failing plugin: config issues, connection check, errors, rejects, logs. */
async function whatTheUserSees(c: SecretCase): Promise<string> {
  const seen: string[] = [];
  const ctx = createTestContext({ pipeline: 'canary', component: c.plugin.name });
  const parsed = c.plugin.config.safeParse(c.config);
  if (!parsed.success) return JSON.stringify(parsed.error.issues) + parsed.error.message;
  const problems = await settle(() => c.plugin.checkConnection?.(parsed.data, { ...ctx, signal: ctx.signal }));
  seen.push(...problems);
  let instance: unknown;
  // The instance itself holds its config; only what creating it threw is shown.
  seen.push(
    ...(await settle(async () => {
      instance = await c.plugin.create(parsed.data, ctx);
    })),
  );
  if (instance !== undefined) {
    seen.push(...(await settle(() => c.exercise(instance, ctx))));
    seen.push(...(await settle(() => (instance as { close?(): Promise<void> }).close?.())));
  }
  for (const log of ctx.logs) seen.push(JSON.stringify(log.obj), String(log.msg));
  return seen.join('\n');
}

/** What a call returned or threw, as text: message, JSON (details included) and the cause chain. */
async function settle(call: () => unknown): Promise<string[]> {
  try {
    return [JSON.stringify(await call()) ?? ''];
  } catch (err) {
    const out: string[] = [];
    for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
      out.push(String(e), JSON.stringify(e) ?? '', (e as Error).stack ?? '');
      e = (e as { cause?: unknown }).cause;
    }
    return out;
  }
}

describe('canary secrets in every built-in secret field', () => {
  let echo: NetServer;
  let echoPort: number;
  let sshd: ThrowawaySshd;
  beforeAll(async () => {
    // A hostile FTP server: greets, asks for the password, then refuses it quoting what it was sent.
    echo = createNetServer((socket) => {
      socket.write('220 canary ftp\r\n');
      socket.on('data', (d) => {
        const line = d.toString().trim();
        socket.write(line.startsWith('USER') ? '331 password please\r\n' : `530 refused: ${line}\r\n`);
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as AddressInfo).port;
    sshd = await ThrowawaySshd.start();
  });
  afterAll(async () => {
    await sshd?.destroy();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('never appear in what a failing plugin shows', async () => {
    const cases = secretCases(await freePort(), echoPort, base, sshd.port);
    const leaks: string[] = [];
    const failed: string[] = [];
    for (const c of cases) {
      const text = await whatTheUserSees(c);
      // Each case must really fail: a run that saw nothing proves nothing.
      if (!/error|fail|refus|denied|not exist|ECONNREFUSED|invalid|key/i.test(text)) failed.push(c.row);
      const leaked = c.canaries.filter((s) => text.includes(s));
      for (const s of leaked) leaks.push(`${c.row}: ${s}`);
      recordFigure({
        suite: 'security',
        case: `canary secrets: ${c.row}`,
        tries: 1,
        held: leaked.length === 0 ? 1 : 0,
      });
    }
    expect(failed).toEqual([]);
    expect(leaks).toEqual([]);
  }, 120_000);
});

describe('canary secrets in what the command prints', () => {
  it('are masked by `sluice config` and absent from `sluice validate --connect`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-canary-'));
    try {
      const closed = await freePort();
      const path = join(dir, 'canary.yaml');
      writeFileSync(
        path,
        [
          'pipelines:',
          '  p:',
          `    source: { type: http-poll, url: "http://127.0.0.1:${closed}/x", headers: { x-api-key: "${CANARY}-cli-h" } }`,
          '    topic: t',
          '  q:',
          '    topic: t',
          '    sinks:',
          `      - { type: sql, client: pg, connection: "postgres://sluice_canary_nobody:${CANARY}-cli-pg@127.0.0.1:5432/test", table: canary_rows }`,
          `      - { type: ftp, host: 127.0.0.1, port: ${closed}, user: u, password: "${CANARY}-cli-ftp", directory: /out, connectRetries: 0 }`,
          '',
        ].join('\n'),
      );
      const config = await runCli(['config', '--json', path], { timeoutMs: 120_000 });
      const validate = await runCli(['validate', '--connect', path], { timeoutMs: 120_000 });
      const canaries = [`${CANARY}-cli-h`, `${CANARY}-cli-pg`, `${CANARY}-cli-ftp`];
      const leaks = [config, validate].flatMap((out, i) =>
        canaries
          .filter((c) => (out.stdout + out.stderr).includes(c))
          .map((c) => `${i === 0 ? 'config' : 'validate'}: ${c}`),
      );
      recordFigure({
        suite: 'security',
        case: 'canary secrets: sluice config / validate --connect',
        tries: 2,
        held: 2 - new Set(leaks.map((l) => l.split(':')[0])).size,
      });
      expect(config.code).toBe(0);
      // The sql sink's connection check fails (no such role), and says so without the password.
      expect(validate.code).toBe(2);
      expect(validate.stderr).toMatch(/cannot connect: PostgreSQL database/);
      // The resolved config names every secret field, masked.
      expect(config.stdout.match(/\*\*\*/g)?.length).toBeGreaterThanOrEqual(3);
      expect(leaks).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

describe('canary secrets in a running pipeline', () => {
  it('never appear in its logs, metrics, admin API answers, tap or dead letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-canary-run-'));
    const closed = await freePort();
    const path = join(dir, 'canary.yaml');
    writeFileSync(
      path,
      [
        'pipelines:',
        '  p:',
        '    source: { type: generate, count: 40, rate: 20 }',
        '    topic: t',
        '    sinks:',
        `      - { type: http, name: api, url: "http://127.0.0.1:${closed}/in", headers: { x-api-key: "${CANARY}-run-h" }, retry: { attempts: 2, baseMs: 10, capMs: 20 } }`,
        `      - { type: sql, name: db, client: pg, connection: "postgres://sluice_canary_nobody:${CANARY}-run-pg@127.0.0.1:${closed}/test", table: canary_rows, pool: { acquireTimeoutMs: 1000 }, retry: { attempts: 2, baseMs: 10, capMs: 20 } }`,
        '',
      ].join('\n'),
    );
    const log = join(dir, 'run.log');
    const run = SluiceProcess.start(
      ['run', path, '--admin', '0', '--admin-token', `${CANARY}-admin`, '--dead-letters', join(dir, 'dlq.ndjson')],
      log,
    );
    try {
      const url = await run.adminUrl();
      const get = async (route: string) => {
        const res = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${CANARY}-admin` } });
        return `${route} ${res.status}\n${await res.text()}`;
      };
      // The sinks fail until their batches are dead-lettered: every route then has something to show.
      await waitFor(
        async () => (await get('/metrics')).includes('sluice_dead_letters_total{'),
        120_000,
        'dead letters',
      );
      const tap = new AbortController();
      const tapped = fetch(`${url}/api/tap/p?stage=topic&limit=1`, {
        headers: { authorization: `Bearer ${CANARY}-admin` },
        signal: tap.signal,
      }).then(
        (res) => res.text(),
        () => '',
      );
      setTimeout(() => tap.abort(), 5_000);
      const answers = [
        await get('/metrics'),
        await get('/api/status'),
        await get('/api/pipelines'),
        await get('/api/offsets'),
        await get('/api/dead-letters?state=all'),
        await tapped,
      ];
      run.kill('SIGTERM');
      await run.exited;
      const dlqFile = join(dir, 'dlq.ndjson');
      const seen = [
        ...answers.map((text, i) => ({
          where: ['metrics', 'status', 'pipelines', 'offsets', 'dead letters', 'tap'][i],
          text,
        })),
        { where: 'logs', text: run.log() },
        { where: 'dead-letter file', text: existsSync(dlqFile) ? readFileSync(dlqFile, 'utf8') : '' },
      ];
      const canaries = [`${CANARY}-run-h`, `${CANARY}-run-pg`, `${CANARY}-admin`];
      const leaks = seen.flatMap((s) => canaries.filter((c) => s.text.includes(c)).map((c) => `${s.where}: ${c}`));
      for (const s of seen) {
        recordFigure({
          suite: 'security',
          case: `canary secrets: a running pipeline's ${s.where}`,
          tries: 1,
          held: canaries.some((c) => s.text.includes(c)) ? 0 : 1,
        });
      }
      // Each place really showed the failing sinks: an empty answer would prove nothing.
      expect(seen.find((s) => s.where === 'logs')?.text).toMatch(/E_HTTP_NETWORK|ECONNREFUSED/);
      expect(seen.find((s) => s.where === 'dead-letter file')?.text).toMatch(/E_SQL_CONNECTION/);
      expect(answers[0]).toMatch(/sluice_errors_total\{[^}]*code="E_SQL_CONNECTION"/);
      expect(leaks).toEqual([]);
    } finally {
      run.kill('SIGKILL');
      await run.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
