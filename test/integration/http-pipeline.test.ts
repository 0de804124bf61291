// End to end through the runtime: curl → http source → topic → http sink → a node:http receiver, with the
// runtime's own retries and dead-letter topic. The first test runs templates/pipelines/http-to-http.yaml as
// its header documents it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { MemoryQueue } from '../../core/queue/memory.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { curl } from '../harness/curl.js';
import { closeServer, freePort } from '../harness/loopback.js';

const TEMPLATE = new URL('../../templates/pipelines/http-to-http.yaml', import.meta.url).pathname;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Delivery {
  key: string;
  values: unknown[];
}

async function receiver(answer: (values: unknown[], req: IncomingMessage, res: ServerResponse) => void) {
  const accepted: Delivery[] = [];
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    requests++;
    const parsed = JSON.parse(body);
    const values = Array.isArray(parsed) ? parsed : [parsed];
    answer(values, req, res);
    if (res.statusCode < 300) accepted.push({ key: String(req.headers['idempotency-key']), values });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => closeServer(server));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    accepted,
    requests: () => requests,
  };
}

async function run(file: string, env: Record<string, string>) {
  const config = await loadConfig([file], { builtins, env });
  const storage = new MemoryStorage();
  const engine = new Engine({
    config,
    storage,
    queue: new MemoryQueue({ logger: silentLogger }),
    logger: silentLogger,
  });
  await engine.start();
  cleanups.push(() => engine.stop(2000));
  return { engine, storage };
}

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-http-pipeline-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, text);
  return file;
}

async function until(check: () => boolean | Promise<boolean>, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForServer(url: string) {
  await until(async () => (await curl([url]).catch(() => ({ status: 0 }))).status === 200, 10_000);
}

const JSON_TYPE = ['-H', 'content-type: application/json'];

describe('http → topic → http through the runtime', () => {
  it('runs templates/pipelines/http-to-http.yaml as documented', async () => {
    const target = await receiver((_v, _req, res) => res.writeHead(200).end());
    const port = await freePort();
    await run(TEMPLATE, { HTTP_PORT: String(port), TARGET_URL: target.url });
    const events = `http://127.0.0.1:${port}/events`;
    await waitForServer(`http://127.0.0.1:${port}/healthz`);

    expect((await curl([...JSON_TYPE, '-d', '{"key":"car-1","value":{"speed":42}}', events])).status).toBe(200);
    const ndjson = '{"key":"car-2","value":{"speed":1}}\n{"key":"car-3","value":{"speed":2}}\n';
    expect((await curl(['-H', 'content-type: application/x-ndjson', '--data-binary', ndjson, events])).status).toBe(
      200,
    );
    const ce = {
      specversion: '1.0',
      id: 'c1',
      source: '/cars',
      type: 'fix',
      partitionkey: 'car-4',
      data: { speed: 3 },
    };
    expect(
      (await curl(['-H', 'content-type: application/cloudevents+json', '-d', JSON.stringify(ce), events])).status,
    ).toBe(200);

    await until(() => target.accepted.flatMap((d) => d.values).length === 4, 10_000);
    const speeds = target.accepted.flatMap((d) => d.values.map((v) => (v as { speed: number }).speed));
    expect(speeds.sort()).toEqual([1, 2, 3, 42]);
    expect(target.accepted.every((d) => d.key.startsWith('inbox-to-http/'))).toBe(true);
  });

  it('retries a receiver that answers 500 for 5 s and delivers every event once per idempotency key', async () => {
    const failUntil = Date.now() + 5_000;
    const target = await receiver((_v, _req, res) => {
      if (Date.now() < failUntil) res.writeHead(500, { 'retry-after': '1' }).end('not yet');
      else res.writeHead(200).end();
    });
    const port = await freePort();
    await run(TEMPLATE, { HTTP_PORT: String(port), TARGET_URL: target.url });
    const events = `http://127.0.0.1:${port}/events`;
    await waitForServer(`http://127.0.0.1:${port}/healthz`);
    const body = Array.from({ length: 50 }, (_, n) => ({ key: `k${n % 5}`, value: { n } }));
    expect((await curl([...JSON_TYPE, '--data-binary', JSON.stringify(body), events])).status).toBe(200);

    await until(
      () => new Set(target.accepted.flatMap((d) => d.values.map((v) => (v as { n: number }).n))).size === 50,
      30_000,
    );
    expect(target.requests()).toBeGreaterThan(target.accepted.length);
    // A receiver that keeps the first of each key stores every event exactly once.
    const firstOfEachKey = new Map(target.accepted.map((d) => [d.key, d.values]));
    const stored = [...firstOfEachKey.values()].flat().map((v) => (v as { n: number }).n);
    expect(stored.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  }, 45_000);

  it('sends only the event the receiver answers 400 for to the dead-letter topic', async () => {
    const target = await receiver((values, _req, res) => {
      if ((values[0] as { n: number }).n === 3) res.writeHead(400).end('{"error":"n=3 is not allowed"}');
      else res.writeHead(200).end();
    });
    const port = await freePort();
    const file = yamlFile(`pipelines:
  in:
    source: { type: http, host: 127.0.0.1, port: ${port}, path: /events }
    topic: inbox
  out:
    topic: inbox
    sinks:
      - { type: http, url: "${target.url}", mode: event }
`);
    const { engine, storage } = await run(file, {});
    await waitForServer(`http://127.0.0.1:${port}/healthz`);
    const body = Array.from({ length: 6 }, (_, n) => ({ n }));
    expect(
      (await curl([...JSON_TYPE, '--data-binary', JSON.stringify(body), `http://127.0.0.1:${port}/events`])).status,
    ).toBe(200);
    await until(() => engine.metrics.totals().deadLettered === 1 && target.accepted.length === 5, 10_000);
    const dead = await storage.read('out.dlq', {});
    expect(dead).toHaveLength(1);
    expect(dead[0].value).toEqual({ n: 3 });
    expect(dead[0].headers['sluice-error-code']).toBe('E_HTTP_STATUS');
    expect(JSON.parse(dead[0].headers['sluice-error-details'])).toEqual({
      status: 400,
      body: '{"error":"n=3 is not allowed"}',
    });
    expect(target.accepted.map((d) => (d.values[0] as { n: number }).n).sort()).toEqual([0, 1, 2, 4, 5]);
  });

  it('sends a batch sealed into one event (gzip per batch, aes-gcm) again with the same Idempotency-Key', async () => {
    // The sealed body differs on each try (a fresh AES nonce), so a key digested from content would differ too and
    // a receiver could not drop the repeat: the key names the stored range instead.
    const tries: Array<{ key: string; body: Buffer }> = [];
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      tries.push({ key: String(req.headers['idempotency-key']), body: Buffer.concat(chunks) });
      res.writeHead(tries.length === 1 ? 503 : 200, { 'retry-after': '0' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => closeServer(server));
    const port = await freePort();
    const file = yamlFile(`pipelines:
  in:
    source: { type: http, host: 127.0.0.1, port: ${port}, path: /events }
    topic: inbox
  out:
    topic: inbox
    processors:
      - { type: gzip, per: batch }
      - { type: aes-gcm, keys: { k1: "\${AES_KEY}" } }
    sinks:
      - type: http
        url: http://127.0.0.1:${(server.address() as AddressInfo).port}/sealed
        mode: event
        body: value
        retry: { attempts: 5, baseMs: 50 }
`);
    await run(file, { AES_KEY: Buffer.alloc(32, 7).toString('base64') });
    await waitForServer(`http://127.0.0.1:${port}/healthz`);
    const body = Array.from({ length: 20 }, (_, n) => ({ key: 'one-partition', value: { n } }));
    expect(
      (await curl([...JSON_TYPE, '--data-binary', JSON.stringify(body), `http://127.0.0.1:${port}/events`])).status,
    ).toBe(200);
    await until(() => tries.length >= 2, 10_000);
    expect(tries[1].body.equals(tries[0].body)).toBe(false);
    expect(tries[1].key).toBe(tries[0].key);
    expect(tries[0].key).toMatch(/^out\/.+#0$/);
  });
});
