// The console of an embedded `sluice run --admin 0 --console` with a token: the page asks for the token, then
// shows the pipelines; its files are served with the right types and caching, and nothing else is.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleBrowser } from '../harness/browser.js';
import { SluiceProcess } from '../harness/fleet.js';
import { runCli } from '../harness/run-cli.js';

const TOKEN = 'console-test-token';
const PIPELINES = `
pipelines:
  rooms-in:
    source: { type: generate, preset: temperature, rate: 20, count: 100000000, keys: 5 }
    topic: rooms
  hot-rooms:
    topic: rooms
    sinks:
      - { type: file, directory: ./out, format: ndjson }
`;

let run: SluiceProcess;
let url: string;
let browser: ConsoleBrowser;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-console-shell-'));
  writeFileSync(join(dir, 'rooms.yaml'), PIPELINES.replace('./out', join(dir, 'out')));
  run = SluiceProcess.start(
    ['run', join(dir, 'rooms.yaml'), '--admin', '0', '--console', '--log-format', 'json'],
    join(dir, 'run.log'),
    { SLUICE_ADMIN_TOKEN: TOKEN },
  );
  url = await run.adminUrl();
  browser = await ConsoleBrowser.launch();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  run?.kill('SIGTERM');
  await run?.exited;
});

describe('the web console shell', { timeout: 120_000 }, () => {
  it('asks for the token, then lists the pipelines, with no console error', async () => {
    const page = await browser.open(`${url}/`);
    try {
      expect(new URL(page.page.url()).pathname).toBe('/console/');
      const token = page.page.getByLabel('Token', { exact: true });
      await token.waitFor();
      await page.screenshot('shell-token');
      await token.fill(TOKEN);
      await token.press('Enter');
      const rows = page.page.locator('table.pipelines tbody tr');
      await rows.first().waitFor();
      expect(await rows.locator('th').allTextContents()).toEqual(['rooms-in', 'hot-rooms']);
      await expect.poll(() => page.page.locator('[data-node]').count(), { timeout: 30_000 }).toBe(3);
      await page.screenshot('shell-pipelines');
      page.expectNoConsoleErrors();
    } finally {
      await page.close();
    }
  });

  it('moves between views by keyboard, and the token stays for the tab', async () => {
    const page = await browser.open(`${url}/console/#/pipelines`);
    try {
      const token = page.page.getByLabel('Token', { exact: true });
      await token.fill(TOKEN);
      await token.press('Enter');
      await page.page.locator('table.pipelines').waitFor();
      const workers = page.page.getByRole('link', { name: 'Workers' });
      await workers.focus();
      await page.page.keyboard.press('Enter');
      await page.page.locator('tr[data-worker]').first().waitFor();
      expect(page.page.url()).toMatch(/#\/workers$/);
      expect(await page.page.getByRole('heading', { level: 1 }).textContent()).toBe('Workers');
      expect(await workers.getAttribute('aria-current')).toBe('page');
      await page.page.reload();
      await page.page.locator('tr[data-worker]').first().waitFor();
      expect(await page.page.getByLabel('Token', { exact: true }).count()).toBe(0);
      page.expectNoConsoleErrors();
    } finally {
      await page.close();
    }
  });

  it('serves its files with their types and caching, and nothing outside them', async () => {
    const index = await fetch(`${url}/console/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/console\/app-[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/console\/app-[^"]+\.css)"/.exec(html)?.[1];
    const js = await fetch(`${url}${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}${style}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/console/..%2Fpackage.json', '/console/%2e%2e%2f%2e%2e%2fpackage.json', '/console/x.js']) {
      expect((await fetch(`${url}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${url}/console/../package.json`)).status).toBe(404);
    expect((await fetch(`${url}/api/console/graph`)).status).toBe(401);
    const graph = await fetch(`${url}/api/console/graph`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(JSON.stringify(await graph.json())).not.toContain(TOKEN);
  });

  it('refuses --console without --admin', async () => {
    const result = await runCli(['run', 'templates/pipelines/stdio.yaml', '--console']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--console is served on the admin port: add --admin');
  });
});
