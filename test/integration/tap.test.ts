// The tap: a live sample of a running pipeline's events at a chosen stage, over the admin route and through
// `sluice tap`, with no subscription left behind.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { tapRoutes } from '../../core/admin/tap-routes.js';
import { openEngine } from '../../core/cli/drivers.js';
import { loadConfig } from '../../core/config/load.js';
import type { Engine } from '../../core/runtime/engine.js';
import { createLogger } from '../../core/runtime/logger.js';
import type { Storage } from '../../core/storage/storage.js';
import { type RoutesServer, serveRoutes } from '../harness/admin-routes-server.js';
import { runCli } from '../harness/run-cli.js';

let engine: Engine;
let storage: Storage;
let server: RoutesServer;
let closeDrivers: () => Promise<void>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tap-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(
    file,
    `pipelines:
  cars:
    source: { type: generate, preset: sequence, count: 0, rate: 200 }
    processors:
      - { type: map, expression: '{"seq": value.seq, "token": "${'$'}{TAP_SECRET}"}' }
    topic: cars
    sinks:
      - type: file
        name: out
        file: "${join(dir, 'out.ndjson')}"
        processors:
          - { type: map, expression: '$merge([value, {"outbound": true}])' }
`,
  );
  const config = await loadConfig([file], { builtins, env: { ...process.env, TAP_SECRET: 'hunter2-secret' } });
  config.redactor.add('hunter2-secret');
  const opened = await openEngine(config, createLogger({ level: 'error' }), { workerId: 'tap-test' });
  engine = opened.engine;
  storage = opened.drivers.storage;
  closeDrivers = opened.drivers.close;
  await engine.start();
  server = await serveRoutes(
    tapRoutes({
      taps: engine.taps,
      storage,
      pipelines: () => config.pipelines,
      redactor: config.redactor,
    }),
  );
});

afterAll(async () => {
  await server?.close();
  await engine?.stop(2_000);
  await closeDrivers?.();
});

/** The events of a tap, read until `limit` (the server ends the stream there). */
async function tap(query: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${server.url}/api/tap/cars?${query}`);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const text = await response.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

describe('tap', () => {
  it('shows events after an inbound processor, on the topic and as delivered to a sink, secrets masked', async () => {
    const [inbound, topic, delivered] = await Promise.all([
      tap('stage=processor:0&limit=5'),
      tap('stage=topic&limit=5'),
      tap('stage=sink:out&limit=5'),
    ]);
    expect(inbound).toHaveLength(5);
    expect(inbound[0]).toMatchObject({ stage: 'processor:0', value: { token: '***' } });
    expect(topic[0]).toMatchObject({ stage: 'topic', value: { token: '***' } });
    expect(typeof topic[0].id).toBe('string');
    expect(delivered[0]).toMatchObject({ stage: 'sink:out', value: { outbound: true, token: '***' } });
    expect(JSON.stringify([inbound, topic, delivered])).not.toContain('hunter2');
    expect(await storage.listSubscriptions('cars')).toEqual(['cars.out']);
  }, 60_000);

  it('refuses a stage the pipeline does not have, naming the ones it has', async () => {
    const response = await fetch(`${server.url}/api/tap/cars?stage=sink:nope`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { stages: string[] }).stages).toEqual([
      'processor:0',
      'topic',
      'sink:out:processor:0',
      'sink:out',
    ]);
    expect((await fetch(`${server.url}/api/tap/trucks`)).status).toBe(404);
  });

  it('lists the stages each pipeline can be tapped at', async () => {
    const response = await fetch(`${server.url}/api/tap`);
    expect(await response.json()).toEqual({
      pipelines: [{ name: 'cars', stages: ['processor:0', 'topic', 'sink:out:processor:0', 'sink:out'] }],
    });
  });

  it('sluice tap prints the sample as NDJSON and exits 0 at its limit, 2 on a bad stage', async () => {
    const r = await runCli(['tap', 'cars', '--stage', 'sink:out', '--limit', '3', '--admin', server.url]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0])).toMatchObject({ stage: 'sink:out', value: { outbound: true } });
    const bad = await runCli(['tap', 'cars', '--stage', 'nowhere', '--admin', server.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has no stage "nowhere"; stages: processor:0, topic, sink:out:processor:0, sink:out/);
    const usage = await runCli(['tap', 'cars', '--sample', '3', '--admin', server.url]);
    expect(usage.code).toBe(2);
  }, 300_000);
});
