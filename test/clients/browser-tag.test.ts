// The /cp.js tag in real headless Chromium: a page on another origin loads the tag from Beacon,
// identifies a customer, and the profile appears.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, PUBLIC_KEY, SECRET_KEY } from '../support/harness.js';
import { startBeacon } from './servers.js';

const CHROMIUM = '/usr/bin/chromium';

describe('browser tag in Chromium', () => {
  let beacon: Awaited<ReturnType<typeof startBeacon>>;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  const pages = new Map<string, string>();

  beforeAll(async () => {
    beacon = await startBeacon();
    // The shop is served from localhost, Beacon from 127.0.0.1 on another port: different origins.
    site = createServer((request, response) => {
      const html = pages.get(request.url ?? '');
      if (html === undefined) return response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
    await beacon?.close();
  });

  it('replays calls queued before the script loaded and stores the customer', async () => {
    pages.set(
      '/queued.html',
      `<!doctype html><html><head>
        <script>
          window.cp = window.cp || function () { (cp.q = cp.q || []).push(arguments); };
          cp('init', ${JSON.stringify(PUBLIC_KEY)});
          cp('identify', { user_id: 'browser-1', email: 'shopper@example.com', name: 'Shop Per', custom_attributes: { cart_items: 2, vip: false } });
        </script>
        <script async src="${beacon.url}/cp.js"></script>
      </head><body>shop</body></html>`,
    );
    const page = await browser.newPage();
    const requests: { url: string; method: string }[] = [];
    page.on('request', (request) => requests.push({ url: request.url(), method: request.method() }));
    await page.goto(`${siteUrl}/queued.html`);
    await page.waitForFunction(() => (window as unknown as { cp: { loaded?: boolean } }).cp.loaded === true);
    await expect.poll(async () => (await get(beacon.app, '/customers/browser-1')).status, { timeout: 10_000 }).toBe(200);
    expect((await get(beacon.app, '/customers/browser-1')).body.data).toMatchObject({
      email: 'shopper@example.com',
      first_name: 'Shop',
      last_name: 'Per',
      custom_attributes: { cart_items: 2, vip: false },
    });
    expect(requests.some((request) => request.method === 'POST' && request.url === `${beacon.url}/customers`)).toBe(true);
    await page.close();
  });

  it('identifies after load with the key from data-key; the page can read the answer', async () => {
    pages.set(
      '/loaded.html',
      `<!doctype html><html><head><script src="${beacon.url}/cp.js" data-key="${PUBLIC_KEY}"></script></head><body></body></html>`,
    );
    const page = await browser.newPage();
    await page.goto(`${siteUrl}/loaded.html`);
    const answer = await page.evaluate(() =>
      (window as unknown as { cp: (command: string, body: unknown) => Promise<unknown> }).cp('identify', {
        user_id: 'browser-2',
        custom_attributes: { plan: 'pro' },
      }),
    );
    expect(answer).toEqual({ success: true, code: 200, data: null });
    expect((await get(beacon.app, '/customers/browser-2')).body.data.custom_attributes).toEqual({ plan: 'pro' });
    await page.close();
  });

  it('a secret key pasted into a page is refused by CORS and stores nothing', async () => {
    pages.set(
      '/leak.html',
      `<!doctype html><html><head><script src="${beacon.url}/cp.js" data-key="${SECRET_KEY}"></script></head><body></body></html>`,
    );
    const page = await browser.newPage();
    const warnings: string[] = [];
    page.on('console', (message) => warnings.push(message.text()));
    await page.goto(`${siteUrl}/leak.html`);
    const answer = await page.evaluate(() =>
      (window as unknown as { cp: (command: string, body: unknown) => Promise<unknown> }).cp('identify', { user_id: 'leaked' }),
    );
    expect(answer).toBeNull();
    expect(warnings.some((text) => text.includes('[cp] identify failed'))).toBe(true);
    expect((await get(beacon.app, '/customers/leaked')).status).toBe(404);
    await page.close();
  });
});
