// GET /metrics: Prometheus text with the series the README promises.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { auth, post, PUBLIC_KEY, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('GET /metrics', () => {
  it('counts requests by route and status, latency, customers written, bulk sizes, rejections and the database pool', async () => {
    h = await startHarness();
    await post(h.app, '/customers', { user_id: 'm1', email: 'metrics.person@example.com' });
    await post(h.app, '/customers/bulk', { customers: [{ user_id: 'b1' }, { user_id: 'b2' }, { user_id: 'b3', phone: 'nope' }] });
    await post(h.app, '/customers', { user_id: 'bad', signed_up_at: 1_700_000_000_000 });
    await h.app.inject({ method: 'GET', url: '/customers/m1', headers: auth(PUBLIC_KEY) });
    await h.app.inject({ method: 'GET', url: '/customers/m1' });
    const response = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    expect(text).toMatch(/^beacon_http_requests_total\{method="POST",route="\/customers",status="200"\} 1$/m);
    expect(text).toMatch(/^beacon_http_requests_total\{method="POST",route="\/customers\/bulk",status="422"\} 1$/m);
    expect(text).toMatch(/^beacon_http_requests_total\{method="GET",route="\/customers\/:user_id",status="403"\} 1$/m);
    expect(text).toMatch(/^beacon_http_request_duration_seconds_count\{method="POST",route="\/customers"\} 2$/m);
    expect(text).toMatch(/^beacon_customers_written_total 3$/m); // m1, b1, b2
    expect(text).toMatch(/^beacon_bulk_items_sum 3$/m);
    expect(text).toMatch(/^beacon_rejections_total\{reason="validation_failed"\} 2$/m);
    expect(text).toMatch(/^beacon_rejections_total\{reason="forbidden"\} 1$/m);
    expect(text).toMatch(/^beacon_rejections_total\{reason="unauthorized"\} 1$/m);
    expect(text).toMatch(/^beacon_rate_limited_total 0$/m);
    expect(text).toMatch(/^beacon_db_pool_connections\{state="total"\} 1$/m);
    expect(text).toMatch(/^beacon_db_up 1$/m);
    // Route patterns only: no user_id, email or key in any label.
    expect(text).not.toContain('m1');
    expect(text).not.toContain('metrics.person');
    expect(text).not.toContain(PUBLIC_KEY);
  });
});

describe('hardening defaults', () => {
  it('are the documented ones, and 0 turns the rate limit off', () => {
    const config = loadConfig({});
    expect(config.rateLimit).toEqual({ perSecond: 1_000, burst: 2_000, redisUrl: undefined });
    expect(config.timeouts.requestMs).toBe(30_000);
    expect(config.maxJsonDepth).toBe(32);
    expect(config.limits).toMatchObject({ singleBodyBytes: 1024 * 1024, bulkBodyBytes: 16 * 1024 * 1024, bulkItems: 10_000, attributesPerCall: 300, attributeValueChars: 1_000 });
    expect(loadConfig({ BEACON_RATE_LIMIT: '0', BEACON_REDIS_URL: 'redis://127.0.0.1:6379/3' }).rateLimit).toEqual({ perSecond: 0, burst: 2_000, redisUrl: 'redis://127.0.0.1:6379/3' });
  });
});
