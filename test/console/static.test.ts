import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { ensureConsoleBuilt } from './support.js';

let h: Harness;
beforeAll(async () => {
  ensureConsoleBuilt();
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('/console', () => {
  it('redirects to the app and serves it with a strict content security policy', async () => {
    const redirect = await h.app.inject({ method: 'GET', url: '/console' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/console/');
    const page = await h.app.inject({ method: 'GET', url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['cache-control']).toBe('no-cache');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await h.app.inject({ method: 'GET', url: script as string });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers a missing asset with a 404 envelope and keeps the console out of the OpenAPI document', async () => {
    const missing = await h.app.inject({ method: 'GET', url: '/console/assets/nope.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ success: false, code: 404 });
    const traversal = await h.app.inject({ method: 'GET', url: '/console/assets/..%2f..%2fpackage.json' });
    expect(traversal.statusCode).toBe(404);
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths).some((path) => path.startsWith('/console'))).toBe(false);
  });
});
