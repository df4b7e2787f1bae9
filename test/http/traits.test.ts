import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { auth, get, post, PUBLIC_KEY, SECRET_KEY, startHarness, type Harness } from '../support/harness.js';
import { join } from 'node:path';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function patch(key: string, body: unknown, apiKey = SECRET_KEY) {
  const response = await h.app.inject({
    method: 'PATCH',
    url: `/traits/${encodeURIComponent(key)}`,
    headers: { ...auth(apiKey), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.json() };
}

type TraitOut = { key: string; display_name: string; type: string; format: string; customers: number; first_seen: number; last_seen: number };
async function traits(): Promise<Record<string, TraitOut>> {
  const response = await get(h.app, '/traits');
  expect(response.status).toBe(200);
  return Object.fromEntries((response.body.data.traits as TraitOut[]).map((trait) => [trait.key, trait]));
}

describe('GET /traits', () => {
  it('lists every key seen with inferred type, exact customer count and first/last seen', async () => {
    const t0 = h.clock.now();
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { plan: 'pro', paid: true, trial_ends_at: 1_800_000_000, seats: 3 } });
    h.clock.advance(60);
    await post(h.app, '/customers', { user_id: '2', custom_attributes: { plan: 'free', homepage: 'https://a.example' } });
    const all = await traits();
    expect(Object.keys(all).sort()).toEqual(['homepage', 'paid', 'plan', 'seats', 'trial_ends_at']);
    expect(all.plan).toMatchObject({ display_name: 'Plan', type: 'string', format: 'text', customers: 2, first_seen: t0, last_seen: t0 + 60 });
    expect(all.trial_ends_at).toMatchObject({ display_name: 'Trial ends at', type: 'date', customers: 1 });
    expect(all.paid).toMatchObject({ type: 'boolean', format: 'yes_no' });
    expect(all.seats).toMatchObject({ type: 'number', format: 'numeric' });
    expect(all.homepage).toMatchObject({ type: 'string', format: 'url' });
  });

  it('keeps counts exact when attributes are removed and customers deleted', async () => {
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { plan: 'pro', seats: 2 } });
    await post(h.app, '/customers', { user_id: '2', custom_attributes: { plan: 'pro' } });
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { seats: null } });
    await h.app.inject({ method: 'DELETE', url: '/customers/2', headers: auth(SECRET_KEY) });
    const all = await traits();
    expect(all.plan?.customers).toBe(1);
    expect(all.seats?.customers).toBe(0);
  });

  it('records the type seen first and never overwrites the owner’s choice', async () => {
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { level: 1_700_000_000 } });
    expect((await traits()).level?.type).toBe('date');
    expect((await patch('level', { type: 'number' })).status).toBe(200);
    await post(h.app, '/customers', { user_id: '2', custom_attributes: { level: 1_700_000_001 } });
    await post(h.app, '/customers/bulk', { customers: [{ user_id: '3', custom_attributes: { level: 'high' } }] });
    const level = (await traits()).level;
    expect(level).toMatchObject({ type: 'number', format: 'numeric', customers: 3 });
  });

  it('is correct under many concurrent identify calls', async () => {
    const calls = Array.from({ length: 200 }, (_, i) =>
      post(h.app, '/customers', { user_id: `u${i % 50}`, custom_attributes: { [`k${i % 7}`]: i, shared: 'x' } }),
    );
    const results = await Promise.all(calls);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const all = await traits();
    expect(Object.keys(all).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'shared']);
    expect(all.shared?.customers).toBe(50);
  });

  it('adds keys stored before the catalog existed (or lost before a flush) on read', async () => {
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { plan: 'pro' } });
    // A second process writing the same file, whose catalog batch never flushed:
    const other = openSqliteStore(join(h.dir, 'beacon.sqlite'));
    await other.customers.identify({
      projectId: h.project.id,
      items: [{ userId: '9', attributes: { legacy_flag: true, renewed_at: 1_600_000_000 }, updateSession: true }],
      now: h.clock.now(),
      sessionTimeout: 1800,
    });
    await other.close();
    const all = await traits();
    expect(all.legacy_flag).toMatchObject({ type: 'boolean', customers: 1 });
    expect(all.renewed_at).toMatchObject({ type: 'date', customers: 1 });
  });

  it('needs the secret key', async () => {
    expect((await get(h.app, '/traits', PUBLIC_KEY)).status).toBe(403);
    expect((await get(h.app, '/traits', 'sk_nope')).status).toBe(401);
    expect((await patch('x', { type: 'date' }, PUBLIC_KEY)).status).toBe(403);
  });
});

describe('PATCH /traits/{key}', () => {
  beforeEach(async () => {
    await post(h.app, '/customers', { user_id: '1', custom_attributes: { score: 5 } });
  });

  it('changes display name, type and format; a new type without a format gets its default', async () => {
    const renamed = await patch('score', { display_name: '  Lead score ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toMatchObject({ key: 'score', display_name: 'Lead score', type: 'number', format: 'numeric', customers: 1 });
    expect((await patch('score', { type: 'boolean' })).body.data).toMatchObject({ type: 'boolean', format: 'yes_no' });
    expect((await patch('score', { type: 'date', format: 'relative' })).body.data).toMatchObject({ type: 'date', format: 'relative' });
    expect((await patch('score', { format: 'datetime' })).body.data).toMatchObject({ type: 'date', format: 'datetime' });
    expect((await traits()).score).toMatchObject({ display_name: 'Lead score', type: 'date', format: 'datetime' });
  });

  it('rejects bad values with 422 naming the field, and unknown keys with 404', async () => {
    const badType = await patch('score', { type: 'money' });
    expect(badType.status).toBe(422);
    expect(badType.body.errors[0].field).toBe('type');
    const misfit = await patch('score', { format: 'yes_no' });
    expect(misfit.status).toBe(422);
    expect(misfit.body.errors[0]).toMatchObject({ field: 'format' });
    expect(misfit.body.errors[0].message).toContain('numeric');
    expect((await patch('score', { display_name: '' })).body.errors[0].field).toBe('display_name');
    expect((await patch('score', { display_name: '   ' })).status).toBe(422);
    expect((await patch('score', [1])).status).toBe(422);
    const missing = await patch('nope', { type: 'date' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, code: 404 });
  });

  it('appears in the OpenAPI document', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/traits', '/traits/{key}', '/keys', '/keys/{id}']));
    expect(JSON.stringify(doc.paths['/traits/{key}'].patch.requestBody)).toContain('relative');
  });
});
