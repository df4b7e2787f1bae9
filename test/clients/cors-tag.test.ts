// CORS on the ingest routes and the /cp.js tag, through HTTP (app.inject).
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { get, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

const SHOP = 'https://shop.example.com';

async function identifyFrom(h: Harness, origin: string, key: string, userId: string) {
  const response = await h.app.inject({
    method: 'POST',
    url: '/customers',
    headers: { origin, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ user_id: userId }),
  });
  return { status: response.statusCode, allowOrigin: response.headers['access-control-allow-origin'] };
}

describe('CORS on ingest routes', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('by default lets any origin use the public key, and no origin use the secret key', async () => {
    h = await startHarness();
    expect(await identifyFrom(h, SHOP, PUBLIC_KEY, 'p1')).toEqual({ status: 200, allowOrigin: SHOP });
    const secret = await identifyFrom(h, SHOP, SECRET_KEY, 's1');
    expect(secret).toEqual({ status: 403, allowOrigin: undefined });
    expect((await get(h.app, '/customers/s1')).status).toBe(404);
    // Server-to-server calls carry no Origin and are unaffected.
    const server = await h.app.inject({
      method: 'POST',
      url: '/customers',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
      payload: '{"user_id":"s2"}',
    });
    expect(server.statusCode).toBe(200);
    expect(server.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers preflights for the ingest routes, and only for them', async () => {
    h = await startHarness();
    for (const url of ['/customers', '/customers/bulk', '/v1/identify', '/v1/batch']) {
      const preflight = await h.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(preflight.statusCode, url).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
      expect(preflight.headers['access-control-allow-headers']).toBe('authorization,content-type');
    }
    const read = await h.app.inject({ method: 'OPTIONS', url: '/customers/1', headers: { origin: SHOP } });
    expect(read.statusCode).toBe(404);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("follows the project's allowed origins (BEACON_CORS_ORIGINS), for preflights and real calls", async () => {
    const corsOrigins = loadConfig({ BEACON_CORS_ORIGINS: `${SHOP}, https://admin.example.com` }).corsOrigins;
    h = await startHarness({ config: { corsOrigins } });
    expect(await identifyFrom(h, SHOP, PUBLIC_KEY, 'a1')).toEqual({ status: 200, allowOrigin: SHOP });
    expect(await identifyFrom(h, 'https://admin.example.com', SECRET_KEY, 'a2')).toMatchObject({ status: 200 });
    expect(await identifyFrom(h, 'https://evil.example.net', PUBLIC_KEY, 'a3')).toEqual({ status: 403, allowOrigin: undefined });
    expect((await get(h.app, '/customers/a3')).status).toBe(404);
    const preflight = await h.app.inject({
      method: 'OPTIONS',
      url: `/customers?api_key=${PUBLIC_KEY}`,
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rejects a malformed BEACON_CORS_ORIGINS at start', () => {
    expect(() => loadConfig({ BEACON_CORS_ORIGINS: 'shop.example.com' })).toThrow(/BEACON_CORS_ORIGINS/);
  });
});

describe('GET /cp.js', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('serves a small cacheable script (< 5 KB gzipped)', async () => {
    h = await startHarness();
    const response = await h.app.inject({ method: 'GET', url: '/cp.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/javascript; charset=utf-8');
    const gzipped = gzipSync(response.rawPayload, { level: 9 }).length;
    console.log(`cp.js: ${response.rawPayload.length} bytes, ${gzipped} bytes gzipped`);
    expect(gzipped).toBeLessThan(5 * 1024);
    const again = await h.app.inject({ method: 'GET', url: '/cp.js', headers: { 'if-none-match': String(response.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });
});
