// The console end to end, in real headless Chromium against a real server on an ephemeral port.
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { auth, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';
import { ensureConsoleBuilt, launchChromium, screenshotDir } from './support.js';

let h: Harness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;
let shots: string;

const RENEWAL = 1_800_000_000; // 2027-01-15 08:00 UTC

async function api(method: string, path: string, body?: unknown, key = SECRET_KEY) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth(key), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { data: any } };
}

async function shot(name: string, target: Page = page) {
  await target.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  ensureConsoleBuilt();
  h = await startHarness({ clock: systemClock });
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  shots = screenshotDir(h.dir);
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('console in Chromium', () => {
  it('signs in with the secret key only, and shows a new project how to send its first identify', async () => {
    await page.goto(`${base}/console`);
    await shot('sign-in');
    const input = page.getByLabel('Secret key');
    await input.fill('sk_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await input.fill(PUBLIC_KEY);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('public key');
    await input.fill(SECRET_KEY);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No customers yet' }).waitFor();
    const command = page.getByLabel('Identify command');
    await expect.poll(() => command.textContent()).toContain('pk_test_pub…');
    expect(await command.textContent()).toContain(`curl -s ${base}/customers`);
    expect(await command.textContent()).not.toContain(SECRET_KEY);
    // The key lives in this tab's sessionStorage only.
    expect(await page.evaluate(() => sessionStorage.getItem('beacon.secretKey'))).toBe(SECRET_KEY);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await shot('customers-empty');
  });

  it('finds a customer by search and shows attributes by their trait type', async () => {
    const customers = [
      { user_id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+442071234567', signed_up_at: 1_585_775_554,
        custom_attributes: { plan: 'pro', renewal: RENEWAL, paid: true, seats: 12, mrr: 490, homepage: 'https://ada.example' } },
      { user_id: 'billy', name: 'Billy Madison', email: 'billy@crowdpower.io', custom_attributes: { plan: 'free', paid: false } },
      ...Array.from({ length: 30 }, (_, i) => ({ user_id: `user-${i}`, name: `Test User ${i}`, custom_attributes: { seats: i } })),
    ];
    expect((await api('POST', '/customers/bulk', { customers }, PUBLIC_KEY)).status).toBe(200);
    await page.reload();
    await page.locator('tbody tr:not(.skeleton)').first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(25);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(7);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(25);
    await shot('customers');

    await page.getByRole('searchbox').fill('lovelace');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    const renewal = page.locator('[data-key="renewal"] dd');
    await expect.poll(() => renewal.textContent()).toBe('Jan 15, 2027');
    expect(await page.locator('[data-key="paid"] dd').textContent()).toBe('Yes');
    expect(await page.locator('[data-key="mrr"] dd').textContent()).toBe('$490.00');
    expect(await page.locator('[data-key="homepage"] dd a').getAttribute('href')).toBe('https://ada.example');
    expect(await page.getByText('+442071234567').count()).toBe(1);
    await shot('customer');
  });

  it('changes a trait type on the traits page and the profile re-renders with it', async () => {
    await page.getByRole('link', { name: 'Traits', exact: true }).click();
    const type = page.getByLabel('Type of renewal');
    await type.waitFor();
    expect(await page.locator('[data-key="plan"] td.num').textContent()).toBe('2');
    await type.selectOption('number');
    await page.locator('[data-key="renewal"]').getByText('Saved').waitFor();
    expect(await page.getByLabel('Format of renewal').inputValue()).toBe('numeric');
    const name = page.getByLabel('Display name of renewal');
    await name.fill('Renews');
    await name.press('Enter');
    await expect.poll(async () => (await api('GET', '/traits')).body.data.traits.find((t: { key: string }) => t.key === 'renewal').display_name).toBe('Renews');
    await page.getByLabel('Format of paid').selectOption('on_off');
    await page.locator('[data-key="paid"]').getByText('Saved').waitFor();
    await shot('traits');

    await page.goBack();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await expect.poll(() => page.locator('[data-key="renewal"] dd').textContent()).toBe('1,800,000,000');
    expect(await page.locator('[data-key="renewal"] dt').textContent()).toContain('Renews');
    expect(await page.locator('[data-key="paid"] dd').textContent()).toBe('On');
  });

  it('creates a key shown once with a copy button, and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'New secret key' }).click();
    const shown = page.getByTestId('new-key');
    await shown.waitFor();
    const key = (await shown.textContent()) ?? '';
    expect(key).toMatch(/^sk_/);
    expect((await api('GET', '/customers?limit=1', undefined, key)).status).toBe(200);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await shot('keys');

    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(key).count()).toBe(0);
    const prefix = key.slice(0, 11);
    await page.getByRole('button', { name: `Revoke ${prefix}…` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('row', { name: new RegExp(prefix) }).getByText(/^Revoked/).waitFor();
    expect((await api('GET', '/customers?limit=1', undefined, key)).status).toBe(401);
  });

  it('deletes a customer after a keyboard-driven confirmation', async () => {
    await page.goto(`${base}/console/#/customers/billy`);
    await page.getByRole('heading', { name: 'Billy Madison' }).waitFor();
    const remove = page.getByRole('button', { name: 'Delete customer' });
    await remove.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await shot('customer-delete');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await api('GET', '/customers/billy')).status).toBe(200);
    await remove.click();
    await dialog.getByRole('button', { name: 'Delete permanently' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'was deleted' }).waitFor();
    expect((await api('GET', '/customers/billy')).status).toBe(404);
  });

  it('sorts by last seen, loads without layout shift and fits a phone', async () => {
    expect((await api('POST', '/customers', { user_id: 'user-3' }, PUBLIC_KEY)).status).toBe(200);
    const observed = await context.newPage();
    // sessionStorage belongs to one tab: this new tab signs in the way a reload would find it.
    await observed.addInitScript((key) => {
      sessionStorage.setItem('beacon.secretKey', key);
      (window as unknown as { cls: number }).cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[]) {
          if (!entry.hadRecentInput) (window as unknown as { cls: number }).cls += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: true });
    }, SECRET_KEY);
    await observed.goto(`${base}/console/#/customers?sort=last_seen`);
    await observed.locator('tbody tr:not(.skeleton)').first().waitFor();
    expect(await observed.locator('tbody tr td:nth-child(3)').first().textContent()).toBe('user-3');
    expect(await observed.getByLabel('Sort').inputValue()).toBe('last_seen');
    await observed.waitForTimeout(300);
    const cls = await observed.evaluate(() => (window as unknown as { cls: number }).cls);
    expect(cls).toBeLessThan(0.05);
    await observed.close();

    const phone = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    phone.setDefaultTimeout(10_000);
    const mobile = await phone.newPage();
    await mobile.addInitScript((key) => sessionStorage.setItem('beacon.secretKey', key), SECRET_KEY);
    await mobile.goto(`${base}/console/#/customers`);
    await mobile.locator('tbody tr:not(.skeleton)').first().waitFor();
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('customers-phone', mobile);
    await mobile.goto(`${base}/console/#/customers/ada`);
    await mobile.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await shot('customer-phone', mobile);
    await phone.close();
  });

  it('signs out and forgets the key', async () => {
    await page.goto(`${base}/console/#/customers`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Secret key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('beacon.secretKey'))).toBeNull();
    await page.goto(`${base}/console/#/traits`);
    await page.getByLabel('Secret key').waitFor();
  });
});
