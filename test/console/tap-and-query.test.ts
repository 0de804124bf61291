// The console's tap and query views against a running fleet on the machine's Redis, in headless Chromium: a tap
// shows the orders the test sends while it listens, on the topic and as handed to the sink; a SELECT over the
// topic shows the stored orders as rows, and a bad statement shows the engine's error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsolePage } from '../harness/browser.js';
import { ConsoleFleet } from '../harness/console-fleet.js';
import { waitFor } from '../harness/fleet.js';

let fleet: ConsoleFleet;

beforeAll(async () => {
  fleet = await ConsoleFleet.start();
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

/**
 * Taps `stage` from the view and sends orders until the list shows some: a tap shows what passes after it started
 * listening, and when the server began is not visible from the page.
 */
async function tapWhileSending(view: ConsolePage, stage: string, label: string): Promise<string[]> {
  const { page } = view;
  await page.getByRole('combobox', { name: 'Stage' }).selectOption(stage);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByText(`Tapping orders at ${stage}`).waitFor();
  const rows = page.locator('table.tap-table tbody tr');
  let sent = 0;
  await waitFor(
    async () => {
      sent += 1;
      await fleet.send([{ id: `${label}-${sent}`, stage }]);
      return (await rows.count()) > 0;
    },
    60_000,
    `tapped orders at ${stage}`,
  );
  await page.getByRole('button', { name: 'Stop' }).click();
  return rows.locator('td:nth-child(3)').allTextContents();
}

describe('the tap view', () => {
  it('shows the orders sent while it taps the topic and the sink, and stops', async () => {
    const view = await fleet.openConsole('tap');
    try {
      const { page } = view;
      await expect
        .poll(() => page.getByRole('combobox', { name: 'Stage' }).locator('option').allTextContents())
        .toEqual(['topic', 'sink:receiver']);
      const onTopic = await tapWhileSending(view, 'topic', 'tap');
      expect(onTopic.length).toBeGreaterThan(0);
      expect(onTopic.every((key) => /^tap-\d+$/.test(key))).toBe(true);
      await view.screenshot('tap-topic');

      const atSink = await tapWhileSending(view, 'sink:receiver', 'sunk');
      expect(atSink.length).toBeGreaterThan(0);
      expect(atSink.every((key) => /^sunk-\d+$/.test(key))).toBe(true);
      await page
        .getByRole('button', { name: /^Show event/ })
        .first()
        .click();
      await expect.poll(() => page.locator('.event-details').textContent()).toContain('"stage": "sink:receiver"');
      expect(await view.hasHorizontalScroll()).toBe(false);
      await view.screenshot('tap-sink');
      expect(await page.getByText('Not tapping.').count()).toBe(1);
      view.expectNoConsoleErrors();
    } finally {
      await view.close();
    }
  }, 180_000);
});

describe('the query view', () => {
  it('runs a SELECT over the topic with Ctrl+Enter and shows the rows, and shows a failed statement', async () => {
    await fleet.send([
      { id: 'q-1', total: 10 },
      { id: 'q-2', total: 32 },
    ]);
    const view = await fleet.openConsole('query');
    try {
      const { page } = view;
      const sql = page.getByLabel('SQL over the stored topics');
      await sql.fill(`SELECT key, (value->>'total')::INTEGER AS total FROM "orders" WHERE key LIKE 'q-%' ORDER BY key`);
      await sql.press('Control+Enter');
      const rows = page.locator('table.query-table tbody tr');
      // The first query loads the analytic engine, which a busy machine makes slow. What the view shows is polled
      // whole, so that a failure says whether the query was still running, failed, or never ran.
      const shown = async () =>
        `${await rows.count()} rows; button ${await page.locator('form.query-form button').textContent()}; ` +
        `alerts ${JSON.stringify(await page.getByRole('alert').allTextContents())}`;
      await expect.poll(shown, { timeout: 150_000 }).toBe('2 rows; button Run; alerts []');
      expect(await page.locator('table.query-table thead th').allTextContents()).toEqual(['key', 'total']);
      expect(await rows.nth(0).locator('td').allTextContents()).toEqual(['q-1', '10']);
      expect(await rows.nth(1).locator('td').allTextContents()).toEqual(['q-2', '32']);
      expect(await view.hasHorizontalScroll()).toBe(false);
      await view.screenshot('query-rows');
      view.expectNoConsoleErrors();

      await sql.fill('SELECT no_such_column FROM "orders"');
      await page.getByRole('button', { name: 'Run' }).click();
      const failure = page.getByRole('alert');
      await expect.poll(() => failure.textContent(), { timeout: 60_000 }).toContain('no_such_column');
      expect(await rows.count()).toBe(0);
      await view.screenshot('query-error');
      // The browser itself reports the refused request (400) as a console error; nothing else may appear.
      expect(view.problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
      expect(view.problems.some((p) => /status of 400/.test(p))).toBe(true);
    } finally {
      await view.close();
    }
  }, 300_000);
});
