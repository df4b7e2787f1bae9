// POST /customers through the real app on a real SQLite file: every rule a caller can see.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { get, post, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';

const EXAMPLE = {
  user_id: '1',
  email: 'billy@crowdpower.io',
  name: 'Billy Madison',
  phone: '+15555555555',
  signed_up_at: 1585775554,
  custom_attributes: { username: 'billy' },
};

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const profile = async (userId: string) => (await get(h.app, `/customers/${encodeURIComponent(userId)}`)).body.data;
const count = async () => (await get(h.app, '/customers?limit=1000')).body.data.customers.length as number;

describe("CrowdPower's example request", () => {
  it('is accepted with the public key and read back with the secret key', async () => {
    const response = await post(h.app, '/customers', EXAMPLE);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ success: true, code: 200, data: null });

    const read = await get(h.app, '/customers/1');
    expect(read.status).toBe(200);
    expect(read.body.success).toBe(true);
    expect(read.body.data).toMatchObject({
      user_id: '1',
      email: 'billy@crowdpower.io',
      name: 'Billy Madison',
      first_name: 'Billy',
      last_name: 'Madison',
      phone: '+15555555555',
      signed_up_at: 1585775554,
      ip: null,
      custom_attributes: { username: 'billy' },
      first_seen: h.clock.now(),
      last_seen: h.clock.now(),
      sessions: 1,
    });
    expect(typeof read.body.data.id).toBe('number');
  });
});

describe('authentication', () => {
  it('accepts the key as a query parameter or a body field', async () => {
    const byQuery = await h.app.inject({ method: 'POST', url: `/customers?api_key=${PUBLIC_KEY}`, payload: { user_id: 'q' } });
    expect(byQuery.statusCode).toBe(200);
    const byBody = await h.app.inject({ method: 'POST', url: '/customers', payload: { user_id: 'b', api_key: PUBLIC_KEY } });
    expect(byBody.statusCode).toBe(200);
    const read = await h.app.inject({ method: 'GET', url: `/customers/b?api_key=${SECRET_KEY}` });
    expect(read.statusCode).toBe(200);
    expect(read.json().data.custom_attributes).toEqual({});
  });

  it('answers 401 without a key or with an unknown one, and stores nothing', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/customers', payload: { user_id: 'x' } });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ success: false, code: 401 });
    const unknown = await post(h.app, '/customers', { user_id: 'x' }, 'pk_not_a_real_key_000000000000');
    expect(unknown.status).toBe(401);
    expect((await get(h.app, '/customers/x')).status).toBe(404);
  });

  it('answers 403 when a public key reads', async () => {
    await post(h.app, '/customers', EXAMPLE);
    const read = await get(h.app, '/customers/1', PUBLIC_KEY);
    expect(read.status).toBe(403);
    expect(read.body).toMatchObject({ success: false, code: 403 });
    expect(JSON.stringify(read.body)).not.toContain('billy');
  });

  it('lets the secret key identify too', async () => {
    expect((await post(h.app, '/customers', { user_id: 's' }, SECRET_KEY)).status).toBe(200);
  });
});

describe('field rules', () => {
  it('splits name on the first run of whitespace, and first/last win over it', async () => {
    await post(h.app, '/customers', { user_id: 'a', name: '  Jean   Claude Van Damme ' });
    expect(await profile('a')).toMatchObject({ first_name: 'Jean', last_name: 'Claude Van Damme', name: 'Jean Claude Van Damme' });
    await post(h.app, '/customers', { user_id: 'b', name: 'Cher' });
    expect(await profile('b')).toMatchObject({ first_name: 'Cher', last_name: null, name: 'Cher' });
    await post(h.app, '/customers', { user_id: 'c', name: 'Billy Madison', last_name: 'Gilmore' });
    expect(await profile('c')).toMatchObject({ first_name: 'Billy', last_name: 'Gilmore', name: 'Billy Gilmore' });
  });

  it('stores phones in E.164 and rejects impossible ones', async () => {
    await post(h.app, '/customers', { user_id: 'p', phone: '+1 (555) 555-5555' });
    expect((await profile('p')).phone).toBe('+15555555555');
    const bad = await post(h.app, '/customers', { user_id: 'q', phone: 'call me maybe' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['phone']);
    expect((await get(h.app, '/customers/q')).status).toBe(404);
  });

  it('uses the project default region for national phone formats', async () => {
    expect((await post(h.app, '/customers', { user_id: 'n', phone: '020 7946 0958' })).status).toBe(422);
    await h.store.projects.update(h.project.id, { defaultRegion: 'GB' });
    expect((await post(h.app, '/customers', { user_id: 'n', phone: '020 7946 0958' })).status).toBe(200);
    expect((await profile('n')).phone).toBe('+442079460958');
  });

  it('expects signed_up_at in seconds and catches milliseconds', async () => {
    const ms = await post(h.app, '/customers', { user_id: 'm', signed_up_at: 1585775554000 });
    expect(ms.status).toBe(422);
    expect(ms.body.errors[0]).toMatchObject({ field: 'signed_up_at' });
    expect(ms.body.errors[0].message).toMatch(/seconds/);
    expect((await post(h.app, '/customers', { user_id: 'm', signed_up_at: -1 })).status).toBe(422);
    expect((await post(h.app, '/customers', { user_id: 'm', signed_up_at: 1.5 })).status).toBe(422);
  });

  it('accepts IPv4 and IPv6 and rejects anything else', async () => {
    await post(h.app, '/customers', { user_id: 'i', ip: '2001:db8::1' });
    expect((await profile('i')).ip).toBe('2001:db8::1');
    const bad = await post(h.app, '/customers', { user_id: 'i', ip: '999.1.1.1' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('ip');
    expect((await profile('i')).ip).toBe('2001:db8::1');
  });

  it('matches email case-insensitively and rejects two @', async () => {
    await post(h.app, '/customers', { email: 'Ann@Example.com' });
    await post(h.app, '/customers', { email: 'ann@example.COM', custom_attributes: { plan: 'pro' } });
    expect(await count()).toBe(1);
    const bad = await post(h.app, '/customers', { user_id: 'e', email: 'a@b@c' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['email']);
  });

  it('stores an integer user_id as its decimal string', async () => {
    await post(h.app, '/customers', { user_id: 42, name: 'Int Id' });
    expect((await profile('42')).user_id).toBe('42');
  });

  it('requires user_id or email', async () => {
    const response = await post(h.app, '/customers', { name: 'Nobody' });
    expect(response.status).toBe(422);
    expect(response.body.errors[0].field).toBe('user_id');
    expect(await count()).toBe(0);
  });

  it('never lets a caller set server-managed fields', async () => {
    await post(h.app, '/customers', { user_id: 'sm', sessions: 99, first_seen: 5, last_seen: 6, id: 1234, updated_at: 7 });
    const stored = await profile('sm');
    expect(stored).toMatchObject({ sessions: 1, first_seen: h.clock.now(), last_seen: h.clock.now() });
    expect(stored.id).not.toBe(1234);
  });

  it('keeps omitted fields and clears fields sent as null', async () => {
    await post(h.app, '/customers', EXAMPLE);
    await post(h.app, '/customers', { user_id: '1', phone: null });
    expect(await profile('1')).toMatchObject({ phone: null, email: 'billy@crowdpower.io', first_name: 'Billy', signed_up_at: 1585775554 });
  });
});

describe('custom attributes', () => {
  it('merge key by key, keep their types, and null removes one', async () => {
    await post(h.app, '/customers', { user_id: 'c', custom_attributes: { plan: 'free', seats: 3, trial: true } });
    await post(h.app, '/customers', { user_id: 'c', custom_attributes: { plan: 'pro', trial: null, mrr: 49.5 } });
    expect((await profile('c')).custom_attributes).toEqual({ plan: 'pro', seats: 3, mrr: 49.5 });
  });

  it('reject bad keys and values, naming each, and store nothing of the call', async () => {
    await post(h.app, '/customers', { user_id: 'c', custom_attributes: { plan: 'free' } });
    const response = await post(h.app, '/customers', {
      user_id: 'c',
      name: 'Should Not Land',
      custom_attributes: { 'plan name': 'x', ok: 'fine', nested: { a: 1 }, list: [1, 2], long: 'x'.repeat(1001), ['k'.repeat(51)]: 1 },
    });
    expect(response.status).toBe(422);
    const fields = response.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(
      ['custom_attributes.plan name', 'custom_attributes.nested', 'custom_attributes.list', 'custom_attributes.long', `custom_attributes.${'k'.repeat(51)}`].sort(),
    );
    expect(await profile('c')).toMatchObject({ first_name: null, custom_attributes: { plan: 'free' } });
  });

  it('reject more than 300 keys in one call', async () => {
    const many = Object.fromEntries(Array.from({ length: 301 }, (_, i) => [`k${i}`, i]));
    const response = await post(h.app, '/customers', { user_id: 'many', custom_attributes: many });
    expect(response.status).toBe(422);
    expect(response.body.errors[0].field).toBe('custom_attributes');
  });

  it('reject prototype keys without polluting any object', async () => {
    const payload = '{"user_id":"proto","custom_attributes":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}';
    const response = await post(h.app, '/customers', payload);
    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain('custom_attributes.__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const top = await post(h.app, '/customers', '{"user_id":"proto2","__proto__":{"sessions":5}}');
    expect(top.status).toBe(422);
    expect(({} as Record<string, unknown>).sessions).toBeUndefined();
    expect(await count()).toBe(0);
  });
});

describe('sessions', () => {
  it('count a new session only after the timeout, and always move last_seen', async () => {
    const start = h.clock.now();
    await post(h.app, '/customers', { user_id: 's' });
    h.clock.advance(1800); // exactly the timeout: same session
    await post(h.app, '/customers', { user_id: 's' });
    expect(await profile('s')).toMatchObject({ sessions: 1, first_seen: start, last_seen: start + 1800 });
    h.clock.advance(1801);
    await post(h.app, '/customers', { user_id: 's' });
    expect(await profile('s')).toMatchObject({ sessions: 2, first_seen: start, last_seen: start + 3601 });
  });

  it('are left alone by update_session false', async () => {
    await post(h.app, '/customers', { user_id: 'bf', update_session: false, name: 'Back Fill' });
    expect(await profile('bf')).toMatchObject({ sessions: 0, last_seen: null, first_seen: h.clock.now(), first_name: 'Back' });
    await post(h.app, '/customers', { user_id: 'bf' });
    h.clock.advance(5000);
    await post(h.app, '/customers', { user_id: 'bf', update_session: false, custom_attributes: { x: 1 } });
    const stored = await profile('bf');
    expect(stored).toMatchObject({ sessions: 1, last_seen: h.clock.now() - 5000, custom_attributes: { x: 1 } });
  });

  it('honour BEACON_SESSION_TIMEOUT', async () => {
    const short = await startHarness({ config: { sessionTimeout: 60 } });
    try {
      await post(short.app, '/customers', { user_id: 't' });
      short.clock.advance(61);
      await post(short.app, '/customers', { user_id: 't' });
      expect((await get(short.app, '/customers/t')).body.data.sessions).toBe(2);
    } finally {
      await short.close();
    }
  });
});

describe('identity resolution', () => {
  it('rule 1: a known user_id updates that profile', async () => {
    await post(h.app, '/customers', { user_id: 'u1', email: 'one@example.com' });
    await post(h.app, '/customers', { user_id: 'u1', email: 'new@example.com' });
    expect(await count()).toBe(1);
    expect((await profile('u1')).email).toBe('new@example.com');
  });

  it('rule 2: an email-only profile is upgraded in place when its user_id arrives', async () => {
    await post(h.app, '/customers', { email: 'Lead@Example.com', custom_attributes: { source: 'ad' } });
    const lead = (await get(h.app, '/customers?email=lead@example.com')).body.data.customers[0];
    await post(h.app, '/customers', { user_id: 'u2', email: 'lead@example.com', name: 'Lea Lead' });
    const upgraded = await profile('u2');
    expect(upgraded).toMatchObject({ id: lead.id, first_name: 'Lea', custom_attributes: { source: 'ad' } });
    expect(await count()).toBe(1);
  });

  it('rule 2 does not steal a profile that already has another user_id', async () => {
    await post(h.app, '/customers', { user_id: 'owner', email: 'shared@example.com' });
    await post(h.app, '/customers', { user_id: 'other', email: 'shared@example.com' });
    expect(await count()).toBe(2);
    expect((await profile('owner')).email).toBe('shared@example.com');
  });

  it('rule 3: email-only calls update the most recently seen profile with that email', async () => {
    await post(h.app, '/customers', { user_id: 'old', email: 'dup@example.com' });
    h.clock.advance(10);
    await post(h.app, '/customers', { user_id: 'recent', email: 'dup@example.com' });
    await post(h.app, '/customers', { email: 'DUP@example.com', custom_attributes: { hit: true } });
    expect((await profile('recent')).custom_attributes).toEqual({ hit: true });
    expect((await profile('old')).custom_attributes).toEqual({});
    expect(await count()).toBe(2);
  });

  it('rule 4: anything else creates a new profile', async () => {
    await post(h.app, '/customers', { user_id: 'x1' });
    await post(h.app, '/customers', { user_id: 'x2' });
    await post(h.app, '/customers', { email: 'fresh@example.com' });
    expect(await count()).toBe(3);
  });
});
