// The console of a worker fleet on the machine's Redis: the graph shows every source, topic and sink with its
// rate, the throughput chart moves while events arrive, the workers view lists the worker, and no view needs
// sideways scrolling at 1280×800. The README's screenshot is taken here (SLUICE_UPDATE_SCREENSHOTS=1 writes it).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser, type ConsolePage } from '../harness/browser.js';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { freePort } from '../harness/loopback.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

const TOKEN = 'graph-and-charts-token';

let redis: Redis;
let prefix: string;
let worker: SluiceProcess;
let adminUrl: string;
let ingestUrl: string;
let browser: ConsoleBrowser;
let page: ConsolePage;
let sending: { stop(): Promise<void> } | undefined;

/** Posts `perBatch` events every `everyMs` until stopped: a steady flow for the rates to show. */
function sendSteadily(perBatch: number, everyMs: number): { stop(): Promise<void> } {
  let isStopped = false;
  let seq = 0;
  const loop = (async () => {
    while (!isStopped) {
      const events = Array.from({ length: perBatch }, () => ({ key: `o${seq % 7}`, value: { seq: seq++ } }));
      await fetch(ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      isStopped = true;
      await loop;
    },
  };
}

beforeAll(async () => {
  redis = await connectTestRedis();
  prefix = uniquePrefix('console-graph');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-console-graph-'));
  const port = await freePort();
  ingestUrl = `http://127.0.0.1:${port}/orders`;
  const file = join(dir, 'fleet.yaml');
  writeFileSync(
    file,
    `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  orders-in:
    source: { type: http, host: 127.0.0.1, port: ${port}, path: /orders }
    topic: orders
  orders-out:
    topic: orders
    sinks:
      - { type: file, name: archive, directory: "${join(dir, 'archive')}", format: ndjson }
      - { type: file, name: audit, directory: "${join(dir, 'audit')}", format: ndjson }
`,
  );
  worker = SluiceProcess.start(
    ['worker', file, '--admin', '127.0.0.1:0', '--console', '--log-format', 'json'],
    join(dir, 'worker.log'),
    { SLUICE_ADMIN_TOKEN: TOKEN },
  );
  adminUrl = await worker.adminUrl();
  await worker.whenStarted();
  await waitFor(
    async () => (await fetch(ingestUrl, { method: 'OPTIONS' }).catch(() => undefined)) !== undefined,
    30_000,
    'the HTTP source',
  );
  sending = sendSteadily(10, 250);
  browser = await ConsoleBrowser.launch();
  page = await browser.open(`${adminUrl}/console/#/pipelines`);
  const token = page.page.getByLabel('Token', { exact: true });
  await token.fill(TOKEN);
  await token.press('Enter');
}, 240_000);

afterAll(async () => {
  await sending?.stop();
  await page?.close();
  await browser?.close();
  worker?.kill('SIGTERM');
  await worker?.exited;
  if (redis) {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
});

/** The text of a graph node's figures line. */
function figures(node: string): Promise<string> {
  return page.page
    .locator(`[data-node="${node}"] .node-figures`)
    .textContent()
    .then((t) => t ?? '');
}

describe('the web console of a fleet on Redis', { timeout: 120_000 }, () => {
  it('draws every source, topic and sink of the pipelines, with live rates', async () => {
    const nodes = page.page.locator('svg.graph [data-node]');
    await expect.poll(() => nodes.count(), { timeout: 30_000 }).toBe(4);
    expect((await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-node')))).sort()).toEqual([
      'sink:orders-out.archive',
      'sink:orders-out.audit',
      'source:orders-in',
      'topic:orders',
    ]);
    expect(await page.page.locator('svg.graph path.edge').count()).toBe(3);
    await expect.poll(() => figures('source:orders-in'), { timeout: 30_000 }).toMatch(/^[1-9][\d.]*\/s in$/);
    await expect
      .poll(() => figures('sink:orders-out.archive'), { timeout: 30_000 })
      .toMatch(/^[1-9][\d.]*\/s out · lag \d+$/);
    expect(await figures('topic:orders')).toMatch(/^[\d,]+ stored · lag \d+$/);
    expect(await page.hasHorizontalScroll()).toBe(false);
    await page.screenshot('graph');
    page.expectNoConsoleErrors();
  });

  it('shows throughput that moves while events arrive', async () => {
    await page.page.getByRole('link', { name: 'Charts' }).click();
    const chart = page.page.locator('[data-chart="in"]');
    const latest = async () => Number((await chart.locator('.latest').getAttribute('data-latest')) || 0);
    const points = async () => Number(await chart.getAttribute('data-points'));
    await expect.poll(latest, { timeout: 30_000 }).toBeGreaterThan(0);
    await chart.locator('canvas').first().waitFor();
    const seen = new Set<number>();
    const before = await points();
    await expect
      .poll(
        async () => {
          seen.add(await latest());
          return seen.size >= 2 && (await points()) > before;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    expect(await page.page.locator('[data-chart="out"] .latest').textContent()).toMatch(/delivered per second$/);
    expect(await page.hasHorizontalScroll()).toBe(false);
    await page.screenshot('charts');
    await page.readmeScreenshot();
    page.expectNoConsoleErrors();
  });

  it('lists the worker and the delivery jobs', async () => {
    await page.page.getByRole('link', { name: 'Workers' }).click();
    const rows = page.page.locator('tr[data-worker]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-worker')).toMatch(new RegExp(`:${worker.pid}$`));
    expect(await page.page.locator('[data-jobs]').allTextContents()).toHaveLength(4);
    expect(await page.hasHorizontalScroll()).toBe(false);
    await page.screenshot('workers');
    page.expectNoConsoleErrors();
  });

  it("takes its rates from the workers' heartbeats, which carry what each stored and delivered", async () => {
    const status = async () =>
      (await (await fetch(`${adminUrl}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
        workers: Array<{ events?: { in: Record<string, number>; out: Record<string, number> } }>;
      };
    await expect
      .poll(async () => (await status()).workers[0]?.events?.out['orders-out.archive'] ?? 0, { timeout: 60_000 })
      .toBeGreaterThan(0);
    expect((await status()).workers[0].events?.in['orders-in']).toBeGreaterThan(0);
  });

  it('pauses and resumes a pipeline from its row, on every worker', async () => {
    await page.page.getByRole('link', { name: 'Pipelines' }).click();
    const row = page.page.locator('tr[data-pipeline="orders-out"]');
    const state = () => row.locator('td').first().textContent();
    await expect.poll(state, { timeout: 30_000 }).toBe('running');
    await page.page.getByRole('button', { name: 'Pause orders-out' }).click();
    await expect
      .poll(() => page.page.getByRole('status').textContent(), { timeout: 60_000 })
      .toMatch(/^orders-out paused on every worker/);
    await expect.poll(state, { timeout: 30_000 }).toBe('paused');
    expect(await page.page.locator('[data-node="sink:orders-out.archive"]').getAttribute('class')).toContain('warn');
    await page.screenshot('paused');
    await page.page.getByRole('button', { name: 'Resume orders-out' }).click();
    await expect.poll(state, { timeout: 30_000 }).toBe('running');
    expect(await page.hasHorizontalScroll()).toBe(false);
    page.expectNoConsoleErrors();
  });
});
