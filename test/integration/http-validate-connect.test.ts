// `sluice validate --connect` with the http sink and the http-poll source: a server that does not answer, a
// certificate that is not trusted and an OAuth2 token endpoint that refuses the client are each a problem at
// the key to fix (exit 2 from the command), with no secret in the message; a server that answers passes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { freePort } from '../harness/loopback.js';
import { createTestCerts, type TestCerts } from '../harness/tls-certs.js';

let plain: Server;
let secure: Server;
let certs: TestCerts;
const portOf = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  certs = createTestCerts();
  // Any answer proves the server is there; the token endpoint refuses every client.
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    if (req.url === '/token')
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    else res.writeHead(405).end();
  };
  plain = createServer(handler);
  secure = createTlsServer({ cert: certs.serverCert, key: certs.serverKey }, handler);
  await Promise.all([plain, secure].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});

afterAll(async () => {
  await Promise.all([plain, secure].map((s) => new Promise((r) => s?.close(r))));
  certs?.remove();
});

function pipelineFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-connect-http-')), 'p.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const sinkFile = (sink: string) =>
  pipelineFile(['pipelines:', '  p:', '    source: { type: generate, count: 1 }', '    topic: t', '    sinks:', sink]);

const problem = (file: string) =>
  loadConfig([file], { builtins, env: {}, connect: true }).then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );

describe('validate --connect with the http connectors', () => {
  it('passes when the server answers, whatever the status', async () => {
    expect(
      await problem(sinkFile(`      - { type: http, url: "http://127.0.0.1:${portOf(plain)}/in" }`)),
    ).toBeUndefined();
  });

  it('reports a server that does not answer at url', async () => {
    const message = await problem(sinkFile(`      - { type: http, url: "http://127.0.0.1:${await freePort()}/in" }`));
    expect(message).toMatch(/cannot reach .*ECONNREFUSED.* at \S*p\.yaml:6:\d+/);
  });

  it('reports a certificate that is not trusted at tls, and passes with its CA', async () => {
    const url = `https://localhost:${portOf(secure)}/in`;
    const message = await problem(sinkFile(`      - { type: http, url: "${url}" }`));
    expect(message).toMatch(/the server certificate is not trusted.*tls\.ca/);
    expect(
      await problem(sinkFile(`      - { type: http, url: "${url}", tls: { ca: "${certs.caFile}" } }`)),
    ).toBeUndefined();
  });

  it('reports a refused OAuth2 client at auth, without the secret', async () => {
    const tokenUrl = `http://127.0.0.1:${portOf(plain)}/token`;
    const message = await problem(
      sinkFile(
        `      - { type: http, url: "http://127.0.0.1:${portOf(plain)}/in", auth: { type: oauth2, tokenUrl: "${tokenUrl}", clientId: app, clientSecret: canary-secret-6612 } }`,
      ),
    );
    expect(message).toMatch(/401/);
    expect(message).not.toContain('canary-secret-6612');
  });

  it('does not connect for a URL whose host comes from each event', async () => {
    expect(
      await problem(
        sinkFile(`      - { type: http, url: "http://{{ value.host }}/in", allowedHosts: ["127.0.0.1:1"] }`),
      ),
    ).toBeUndefined();
  });

  it('checks the http-poll source the same way', async () => {
    const file = pipelineFile([
      'pipelines:',
      '  p:',
      `    source: { type: http-poll, url: "http://127.0.0.1:${await freePort()}/api" }`,
      '    topic: t',
      '    sinks: [ { type: stdout } ]',
    ]);
    expect(await problem(file)).toMatch(/cannot reach .*ECONNREFUSED.* at \S*p\.yaml:3:\d+/);
  });
});
