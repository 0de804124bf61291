// The console's dead-letter view against a running fleet on the machine's Redis, in headless Chromium: an order
// the receiver refuses is dead-lettered; the view finds it by its filters and shows why it failed and what it
// was; once the receiver takes it again, a redrive from the view delivers it and the view shows it redriven. A
// discard needs its reason and keeps it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleFleet } from '../harness/console-fleet.js';
import { waitFor } from '../harness/fleet.js';

interface Letter {
  topic: string;
  id: string;
  value: { id: string };
  state: string;
  error: { code: string; kind: string; reason: string };
  origin: { pipeline: string; subscription: string };
}

let fleet: ConsoleFleet;

beforeAll(async () => {
  fleet = await ConsoleFleet.start();
}, 180_000);
afterAll(async () => {
  await fleet?.stop();
});

/** Waits until the API lists a dead letter of this order. */
async function deadLetterOf(orderId: string): Promise<Letter> {
  let found: Letter | undefined;
  await waitFor(
    async () => {
      const letters = await fleet.api<Letter[]>('/api/dead-letters?state=all');
      found = letters.find((l) => l.value.id === orderId);
      return found !== undefined;
    },
    60_000,
    `order ${orderId} in the dead letters`,
  );
  return found as Letter;
}

describe('the console fleet', () => {
  it('dead-letters an order the receiver refuses, and a redrive delivers it once the receiver takes it', async () => {
    fleet.receiver.refuse('api-2');
    await fleet.send([{ id: 'api-1' }, { id: 'api-2' }, { id: 'api-3' }]);
    const letter = await deadLetterOf('api-2');
    expect(letter).toMatchObject({
      topic: fleet.deadLetterTopic,
      state: 'dead',
      error: { code: 'E_HTTP_STATUS', kind: 'record' },
      origin: { pipeline: 'orders', subscription: 'orders.receiver' },
    });
    expect(letter.error.reason).toContain('order api-2 has no customer');
    expect(fleet.receiver.has('api-1') && fleet.receiver.has('api-3')).toBe(true);
    expect(fleet.receiver.has('api-2')).toBe(false);

    fleet.receiver.accept('api-2');
    const redriven = await fleet.api<{ redriven: unknown[] }>('/api/dead-letters/redrive', { ids: [letter.id] });
    expect(redriven.redriven).toHaveLength(1);
    await waitFor(() => fleet.receiver.has('api-2'), 60_000, 'the redriven order at the receiver');
    const [after] = await fleet.api<Letter[]>(`/api/dead-letters?ids=${letter.id}&state=all`);
    expect(after.state).toBe('redriven');
  }, 180_000);
});

describe('the dead-letter view', () => {
  it('finds a dead-lettered order by its filters, shows its error and event, and redrives it to delivery', async () => {
    fleet.receiver.refuse('web-2');
    await fleet.send([
      { id: 'web-1', customer: 'ann' },
      { id: 'web-2', total: 12.5, note: 'tab\there' },
    ]);
    await deadLetterOf('web-2');
    const view = await fleet.openConsole('dead-letters');
    const { page } = view;

    await page.getByLabel('Pipeline').selectOption('orders');
    await page.getByLabel('Sink').fill('receiver');
    await page.getByLabel('Error code').fill('E_HTTP_STATUS');
    await page.getByLabel('Since').fill('1h');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(page.url()).toContain('pipeline=orders');
    const row = page.locator('tbody tr[data-id]', { hasText: 'web-2' });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => row.textContent()).toContain('E_HTTP_STATUS');

    await row.getByRole('button', { name: /^Show dead letter/ }).click();
    const details = page.locator('.dlq-details');
    await expect.poll(() => details.textContent()).toContain('order web-2 has no customer');
    expect(await details.textContent()).toContain('"total": 12.5');
    expect(await details.textContent()).toContain('orders.receiver');
    await view.screenshot('dead-letters-found');

    fleet.receiver.accept('web-2');
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Redrive…' }).click();
    const confirm = page.getByRole('button', { name: 'Redrive 1 dead letter' });
    await confirm.waitFor({ timeout: 30_000 });
    await view.screenshot('dead-letters-confirm');
    expect(fleet.receiver.has('web-2')).toBe(false);
    // The confirmation takes the focus, so a keyboard user confirms with Enter.
    await expect.poll(() => confirm.evaluate((button) => button === button.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Enter');

    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Redrove 1 dead letter');
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('redriven');
    await waitFor(() => fleet.receiver.has('web-2'), 60_000, 'the redriven order at the receiver');
    expect(await view.hasHorizontalScroll()).toBe(false);
    await view.screenshot('dead-letters-redriven');
    view.expectNoConsoleErrors();
    await view.close();
  }, 180_000);

  it('shows a binary event as its length and a hex dump, never as markup', async () => {
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from('<img src=x onerror=alert(1)>')]);
    await fleet.sendBytes(bytes);
    const view = await fleet.openConsole('dead-letters');
    try {
      const { page } = view;
      const row = page.locator('tbody tr[data-id]', { hasText: `binary, ${bytes.length} bytes` });
      await expect.poll(() => row.count(), { timeout: 60_000 }).toBe(1);
      await row.getByRole('button', { name: /^Show dead letter/ }).click();
      const details = page.locator('.dlq-details');
      await expect.poll(() => details.textContent()).toContain(`Binary, ${bytes.length} bytes`);
      expect(await details.textContent()).toContain('00 ff 3c 69 6d 67 20 73');
      expect(await details.textContent()).toContain('not an order: the body is not JSON');
      expect(await page.locator('main img').count()).toBe(0);
      expect(await view.hasHorizontalScroll()).toBe(false);
      await view.screenshot('dead-letters-binary');
      view.expectNoConsoleErrors();
    } finally {
      await view.close();
    }
  }, 180_000);

  it('discards a dead letter only with a reason, and shows the reason after', async () => {
    fleet.receiver.refuse('web-9');
    await fleet.send([{ id: 'web-9' }]);
    await deadLetterOf('web-9');
    const view = await fleet.openConsole('dead-letters?pipeline=orders');
    const { page } = view;
    const row = page.locator('tbody tr[data-id]', { hasText: 'web-9' });
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);

    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Discard…' }).click();
    const discard = page.getByRole('button', { name: 'Discard 1 dead letter' });
    await discard.waitFor({ timeout: 30_000 });
    expect(await discard.isDisabled()).toBe(true);
    await page.getByLabel('Reason (required)').fill('customer closed the account');
    await discard.click();

    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('discarded: customer closed the account');
    const [letter] = (await fleet.api<Letter[]>('/api/dead-letters?state=discarded')).filter(
      (l) => l.value.id === 'web-9',
    );
    expect(letter.state).toBe('discarded');
    expect(fleet.receiver.has('web-9')).toBe(false);
    await view.screenshot('dead-letters-discarded');
    view.expectNoConsoleErrors();
    await view.close();
  }, 180_000);
});
