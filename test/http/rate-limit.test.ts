// Per-key token buckets: in-process by default, shared between processes through Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { createRedisRateLimiter } from '../../src/rate-limit/redis-rate-limiter.js';
import { createMemoryRateLimiter, takeToken } from '../../src/rate-limit/token-bucket.js';
import { auth, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

const REDIS_URL = process.env.BEACON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/14';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function harness(rateLimit: Config['rateLimit']): Promise<Harness> {
  const h = await startHarness({ config: { rateLimit } });
  cleanups.push(() => h.close());
  return h;
}

const identify = (h: { app: Harness['app'] }, key = PUBLIC_KEY, userId = 'r') =>
  h.app.inject({ method: 'POST', url: '/customers', headers: { ...auth(key), 'content-type': 'application/json' }, payload: JSON.stringify({ user_id: userId }) });

describe('token bucket arithmetic', () => {
  it('refills at the rate, never above the burst', () => {
    const settings = { perSecond: 10, burst: 3 };
    let state;
    const allowed: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const step = takeToken(state, settings, 1_000);
      state = step.state;
      allowed.push(step.decision.allowed);
    }
    expect(allowed).toEqual([true, true, true, false, false]);
    expect(takeToken(state, settings, 1_050).decision.allowed).toBe(false); // half a token back
    expect(takeToken(state, settings, 1_100).decision.allowed).toBe(true); // one token back
    expect(takeToken(state, settings, 100_000).decision.remaining).toBe(2); // full (3) minus this one
  });
});

describe('rate limiting over HTTP (in-process)', () => {
  it('answers 429 with Retry-After and X-RateLimit-* once a key spends its burst, and stores nothing of the refused call', async () => {
    // A hand-moved clock, so a slow machine cannot refill the bucket mid-test.
    let now = Date.now();
    const base = await harness({ perSecond: 0, burst: 1, redisUrl: undefined });
    const limiter = createMemoryRateLimiter({ perSecond: 1, burst: 5 }, () => now);
    const app = await buildApp({ config: base.config, store: base.store, rateLimiter: limiter });
    cleanups.push(async () => {
      await app.close();
      await limiter.close();
    });
    const h = { app, store: base.store, project: base.project };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await identify(h, PUBLIC_KEY, `ok${i}`);
      statuses.push(response.statusCode);
      expect(response.headers['x-ratelimit-limit']).toBe('5');
      expect(Number(response.headers['x-ratelimit-remaining'])).toBe(4 - i);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await identify(h, PUBLIC_KEY, 'refused');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ success: false, code: 429, data: { retry_after: 1 } });
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['x-ratelimit-reset'])).toBe(Math.ceil(now / 1000 + 5));
    const stored = await h.store.customers.getByUserId(h.project.id, 'refused');
    expect(stored).toBeNull();
    // Another key of the same project has its own bucket; unauthenticated routes are not limited.
    expect((await identify(h, SECRET_KEY, 'other-key')).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // After a second, one more request gets through, and only one.
    now += 1_000;
    expect((await identify(h, PUBLIC_KEY, 'later')).statusCode).toBe(200);
    expect((await identify(h, PUBLIC_KEY, 'later2')).statusCode).toBe(429);
  });

  it('leaves traffic under the limit alone, and 0 turns it off', async () => {
    const under = await harness({ perSecond: 1_000, burst: 2_000, redisUrl: undefined });
    const responses = await Promise.all(Array.from({ length: 300 }, (_, i) => identify(under, PUBLIC_KEY, `u${i}`)));
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const off = await harness({ perSecond: 0, burst: 1, redisUrl: undefined });
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => identify(off, PUBLIC_KEY, `o${i}`)));
    expect(many.every((r) => r.statusCode === 200 && r.headers['x-ratelimit-limit'] === undefined)).toBe(true);
  });

  it('counts 429s in /metrics', async () => {
    const h = await harness({ perSecond: 0.001, burst: 1, redisUrl: undefined });
    await identify(h);
    await identify(h);
    await identify(h);
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^beacon_rate_limited_total 2$/m);
    expect(metrics).toMatch(/^beacon_rejections_total\{reason="rate_limited"\} 2$/m);
  });
});

describe('rate limiting shared through Redis', () => {
  it('two Beacon instances on one Redis share one bucket per key; in-process buckets would not', async () => {
    const prefix = `beacon-test:${process.pid}:${Date.now()}:`;
    const settings = { perSecond: 0.001, burst: 6 };
    const h = await harness({ perSecond: 0, burst: 1, redisUrl: undefined });
    const limiters = [createRedisRateLimiter({ url: REDIS_URL, settings, prefix }), createRedisRateLimiter({ url: REDIS_URL, settings, prefix })];
    const apps = await Promise.all(limiters.map((rateLimiter) => buildApp({ config: h.config, store: h.store, rateLimiter })));
    cleanups.push(async () => {
      for (const app of apps) await app.close();
      for (const limiter of limiters) await limiter.close();
    });
    // Wait until both Redis connections are up (the limiter fails open while connecting).
    for (const limiter of limiters) {
      for (let i = 0; i < 50; i++) {
        const probe = await limiter.take(`probe-${i}`);
        if (probe.remaining === settings.burst - 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await identify({ app: apps[i % 2]! }, PUBLIC_KEY, `s${i}`)).statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429]);

    // Contrast: two in-process limiters each allow a full burst.
    const memory = [createMemoryRateLimiter(settings), createMemoryRateLimiter(settings)];
    const memoryApps = await Promise.all(memory.map((rateLimiter) => buildApp({ config: h.config, store: h.store, rateLimiter })));
    cleanups.push(async () => {
      for (const app of memoryApps) await app.close();
      for (const limiter of memory) await limiter.close();
    });
    let allowed = 0;
    for (let i = 0; i < 10; i++) if ((await identify({ app: memoryApps[i % 2]! }, PUBLIC_KEY, `m${i}`)).statusCode === 200) allowed++;
    expect(allowed).toBe(10);
  });

  it('is atomic: 100 concurrent takes against a burst of 25 admit exactly 25', async () => {
    const prefix = `beacon-test:${process.pid}:${Date.now()}:atomic:`;
    const limiters = Array.from({ length: 4 }, () => createRedisRateLimiter({ url: REDIS_URL, settings: { perSecond: 0.001, burst: 25 }, prefix }));
    cleanups.push(async () => {
      for (const limiter of limiters) await limiter.close();
    });
    for (const limiter of limiters) {
      for (let i = 0; i < 50 && (await limiter.take(`warm-${i}`)).remaining !== 24; i++) await new Promise((r) => setTimeout(r, 50));
    }
    const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => limiters[i % 4]!.take('one-key')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfter >= 1)).toBe(true);
  });

  it('fails open when Redis is unreachable, so ingestion keeps working', async () => {
    const limiter = createRedisRateLimiter({ url: 'redis://127.0.0.1:1/0', settings: { perSecond: 1, burst: 1 } });
    cleanups.push(() => limiter.close());
    const decisions = await Promise.all([limiter.take('k'), limiter.take('k'), limiter.take('k')]);
    expect(decisions.every((d) => d.allowed)).toBe(true);
  });
});
