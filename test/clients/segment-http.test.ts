// Segment-compatible endpoints through HTTP (app.inject), on a real SQLite store.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { get, post, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function segmentPost(h: Harness, url: string, body: unknown, options: { key?: string; contentType?: string } = {}) {
  const response = await h.app.inject({
    method: 'POST',
    url,
    headers: { authorization: basic(options.key ?? PUBLIC_KEY), 'content-type': options.contentType ?? 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() };
}

describe('Segment-compatible ingestion', () => {
  let h: Harness;
  const lines: Record<string, unknown>[] = [];
  beforeEach(async () => {
    lines.length = 0;
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    h = await startHarness({ logger: pino({ level: 'info' }, sink) });
  });
  afterEach(async () => h.close());

  it('POST /v1/identify answers {"success": true} and stores the mapped profile', async () => {
    const response = await segmentPost(h, '/v1/identify', {
      userId: 'u1',
      traits: { email: 'ada@example.com', name: 'Ada Lovelace', phone: '+15555555555', createdAt: '2020-04-01T21:12:34Z', planName: 'pro', address: { city: 'London' } },
      context: { ip: '203.0.113.9' },
    });
    expect(response).toEqual({ status: 200, body: { success: true } });
    const profile = (await get(h.app, '/customers/u1')).body.data;
    expect(profile).toMatchObject({
      user_id: 'u1',
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      phone: '+15555555555',
      signed_up_at: 1585775554,
      ip: '203.0.113.9',
      custom_attributes: { planName: 'pro', address_city: 'London' },
    });
  });

  it('answers 400 to bad JSON and 401 to a bad or missing write key, storing nothing', async () => {
    expect((await segmentPost(h, '/v1/batch', '{"batch": [')).status).toBe(400);
    expect((await segmentPost(h, '/v1/batch', { batch: [{ type: 'identify', userId: 'x' }] }, { key: 'pk_wrong' })).status).toBe(401);
    const noKey = await h.app.inject({ method: 'POST', url: '/v1/identify', headers: { 'content-type': 'application/json' }, payload: '{"userId":"x"}' });
    expect(noKey.statusCode).toBe(401);
    expect(noKey.json()).toMatchObject({ success: false, code: 401 });
    expect((await get(h.app, '/customers/x')).status).toBe(404);
  });

  it('accepts the write key in the body and JSON sent as text/plain (analytics.js style)', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify({ writeKey: PUBLIC_KEY, batch: [{ type: 'identify', userId: 'tp', traits: { plan: 'x' } }] }),
    });
    expect(response.statusCode).toBe(200);
    expect((await get(h.app, '/customers/tp')).body.data.custom_attributes).toEqual({ plan: 'x' });
  });

  it('stores identify messages of a batch, ignores other types and counts why', async () => {
    const response = await segmentPost(h, '/v1/batch', {
      batch: [
        { type: 'identify', userId: 'a', traits: { plan: 'pro' } },
        { type: 'track', userId: 'a', event: 'Signed Up' },
        { type: 'page', userId: 'a' },
        { type: 'identify', traits: { plan: 'nobody' } },
        { type: 'identify', userId: 'b', traits: { phone: 'call me', 'Plan Name': 'x', seats: 3 } },
      ],
    });
    expect(response).toEqual({ status: 200, body: { success: true } });
    expect((await get(h.app, '/customers/a')).body.data.custom_attributes).toEqual({ plan: 'pro' });
    // One bad trait does not lose the message (Segment accepts it); the bad fields are left out.
    expect((await get(h.app, '/customers/b')).body.data).toMatchObject({ phone: null, custom_attributes: { seats: 3 } });
    const report = lines.find((line) => line.msg === 'segment batch')?.segment;
    expect(report).toEqual({ received: 5, identified: 2, duplicates: 0, ignored: { type_track: 1, type_page: 1, missing_identity: 1 }, droppedFields: 2 });
  });

  it('answers 400 to a body over the limit, as Segment does', async () => {
    await h.close();
    h = await startHarness({ config: { limits: { ...(await import('../../src/config.js')).DEFAULT_LIMITS, bulkBodyBytes: 200 } } });
    const response = await segmentPost(h, '/v1/batch', { batch: [{ type: 'identify', userId: 'a', traits: { note: 'x'.repeat(500) } }] });
    expect(response.status).toBe(400);
  });

  it('merges an anonymous profile into the user profile when the anonymousId arrives with a userId', async () => {
    await segmentPost(h, '/v1/identify', { anonymousId: 'anon-1', traits: { utm_source: 'newsletter', email: 'visitor@example.com' } });
    await post(h.app, '/customers', { user_id: 'u42', name: 'Known Person', custom_attributes: { plan: 'pro' } });
    const anonymous = (await get(h.app, '/customers?anonymous_id=anon-1')).body.data.customers;
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]).toMatchObject({ user_id: null, anonymous_id: 'anon-1', email: 'visitor@example.com' });

    await segmentPost(h, '/v1/identify', { userId: 'u42', anonymousId: 'anon-1', traits: { seats: 2 } });
    const all = (await get(h.app, '/customers')).body.data.customers;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      user_id: 'u42',
      anonymous_id: 'anon-1',
      email: 'visitor@example.com',
      first_name: 'Known',
      custom_attributes: { utm_source: 'newsletter', plan: 'pro', seats: 2 },
    });
  });

  it('upgrades an anonymous profile in place when its anonymousId first arrives with a userId', async () => {
    await segmentPost(h, '/v1/identify', { anonymousId: 'anon-2', traits: { plan: 'trial' } });
    await segmentPost(h, '/v1/identify', { anonymousId: 'anon-2', userId: 'u7' });
    const all = (await get(h.app, '/customers')).body.data.customers;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ user_id: 'u7', anonymous_id: 'anon-2', custom_attributes: { plan: 'trial' } });
  });

  it('de-duplicates a messageId for 24 hours per project', async () => {
    const message = { type: 'identify', messageId: 'msg-1', userId: 'd1', traits: { plan: 'old' } };
    await segmentPost(h, '/v1/batch', { batch: [message] });
    await post(h.app, '/customers', { user_id: 'd1', custom_attributes: { plan: 'new' } });
    // A retried delivery of the same message must not undo the newer call.
    h.clock.advance(23 * 3600);
    expect((await segmentPost(h, '/v1/batch', { batch: [message, message] })).status).toBe(200);
    expect((await get(h.app, '/customers/d1')).body.data.custom_attributes).toEqual({ plan: 'new' });
    expect(lines.filter((line) => line.msg === 'segment batch').at(-1)?.segment).toMatchObject({ identified: 0, duplicates: 2 });
    // After 24 hours the id is forgotten.
    h.clock.advance(2 * 3600);
    await segmentPost(h, '/v1/batch', { batch: [message] });
    expect((await get(h.app, '/customers/d1')).body.data.custom_attributes).toEqual({ plan: 'old' });
  });

  it('accepts the secret key as write key from servers', async () => {
    expect((await segmentPost(h, '/v1/identify', { userId: 's1' }, { key: SECRET_KEY })).status).toBe(200);
    expect((await get(h.app, '/customers/s1')).status).toBe(200);
  });
});
