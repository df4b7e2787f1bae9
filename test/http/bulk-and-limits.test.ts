// POST /customers/bulk and every way a request can be too big or malformed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, get, post, PUBLIC_KEY, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const total = async () => {
  let n = 0;
  let cursor: string | null = null;
  do {
    const url: string = `/customers?limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await get(h.app, url)).body.data;
    n += page.customers.length;
    cursor = page.next_cursor;
  } while (cursor);
  return n;
};

describe('bulk', () => {
  it('stores 10,000 customers in one call', async () => {
    const customers = Array.from({ length: 10_000 }, (_, i) => ({
      user_id: `u${i}`,
      email: `u${i}@example.com`,
      name: `User ${i}`,
      custom_attributes: { n: i },
    }));
    const response = await post(h.app, '/customers/bulk', { customers });
    expect(response.body).toEqual({ success: true, code: 200, data: null });
    expect(await total()).toBe(10_000);
    expect((await get(h.app, '/customers/u9999')).body.data).toMatchObject({ first_name: 'User', last_name: '9999', custom_attributes: { n: 9999 } });
  });

  it('reports exactly which items failed and why, and stores the valid ones', async () => {
    const response = await post(h.app, '/customers/bulk', {
      customers: [
        { user_id: 'ok1' },
        { user_id: 'bad1', phone: 'call me maybe' },
        { user_id: 'ok2', email: 'ok2@example.com' },
        { name: 'no identity' },
        'not an object',
        { user_id: 'bad2', custom_attributes: { nested: { x: 1 } }, signed_up_at: 1585775554000 },
      ],
    });
    expect(response.status).toBe(422);
    expect(response.body.success).toBe(false);
    expect(response.body.data.accepted).toBe(2);
    const rejected = response.body.data.rejected as { index: number; errors: { field: string }[] }[];
    expect(rejected.map((r) => r.index)).toEqual([1, 3, 4, 5]);
    expect(rejected[0]!.errors.map((e) => e.field)).toEqual(['customers.1.phone']);
    expect(rejected[1]!.errors.map((e) => e.field)).toEqual(['customers.3.user_id']);
    expect(rejected[2]!.errors.map((e) => e.field)).toEqual(['customers.4']);
    expect(rejected[3]!.errors.map((e) => e.field).sort()).toEqual(['customers.5.custom_attributes.nested', 'customers.5.signed_up_at']);
    expect(response.body.errors.length).toBe(5);
    expect((await get(h.app, '/customers/ok1')).status).toBe(200);
    expect((await get(h.app, '/customers/ok2')).status).toBe(200);
    expect((await get(h.app, '/customers/bad1')).status).toBe(404);
    expect((await get(h.app, '/customers/bad2')).status).toBe(404);
  });

  it('applies items for the same customer in array order', async () => {
    await post(h.app, '/customers/bulk', {
      customers: [
        { user_id: 'same', custom_attributes: { plan: 'free', a: 1 } },
        { user_id: 'same', custom_attributes: { plan: 'pro' } },
        { user_id: 'same', custom_attributes: { a: null }, name: 'Last Write' },
      ],
    });
    expect((await get(h.app, '/customers/same')).body.data).toMatchObject({ custom_attributes: { plan: 'pro' }, first_name: 'Last', sessions: 1 });
    expect(await total()).toBe(1);
  });

  it('rejects a missing, empty or non-array customers list with 422 and stores nothing', async () => {
    for (const body of [{}, { customers: [] }, { customers: { user_id: 'x' } }, { customers: 'x' }, []]) {
      const response = await post(h.app, '/customers/bulk', body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.errors[0].field).toMatch(/^customers|body$/);
    }
    expect(await total()).toBe(0);
  });

  it('rejects 10,001 items with 413 and stores none of them', async () => {
    const customers = Array.from({ length: 10_001 }, (_, i) => ({ user_id: `u${i}` }));
    const response = await post(h.app, '/customers/bulk', { customers });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ success: false, code: 413 });
    expect(response.body.errors[0].field).toBe('customers');
    expect(await total()).toBe(0);
  });
});

describe('malformed and oversized requests', () => {
  it('answers 400 for malformed JSON', async () => {
    const response = await post(h.app, '/customers', '{"user_id": "1",');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 400, data: null });
    expect(response.body.message).toMatch(/JSON/);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/customers',
      headers: { ...auth(PUBLIC_KEY), 'content-type': 'text/plain' },
      payload: 'user_id=1',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ success: false, code: 400 });
  });

  it('answers 413 for a 20 MB body on either route', async () => {
    const huge = JSON.stringify({ customers: [{ user_id: '1', custom_attributes: { blob: 'x'.repeat(20 * 1024 * 1024) } }] });
    for (const url of ['/customers', '/customers/bulk']) {
      const response = await post(h.app, url, huge);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ success: false, code: 413 });
    }
    expect(await total()).toBe(0);
  });

  it('answers 422 naming the field for wrong types, nested objects and arrays', async () => {
    const cases: [unknown, string][] = [
      [{ user_id: { id: 1 } }, 'user_id'],
      [{ user_id: ['1'] }, 'user_id'],
      [{ user_id: '1', email: 5 }, 'email'],
      [{ user_id: '1', name: { first: 'a' } }, 'name'],
      [{ user_id: '1', signed_up_at: '2020-01-01' }, 'signed_up_at'],
      [{ user_id: '1', update_session: 'no' }, 'update_session'],
      [{ user_id: '1', custom_attributes: [1, 2] }, 'custom_attributes'],
      [{ user_id: '' }, 'user_id'],
      [{ user_id: 'x'.repeat(256) }, 'user_id'],
      [{ user_id: 9007199254740993 }, 'user_id'],
    ];
    for (const [body, field] of cases) {
      const response = await post(h.app, '/customers', body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    for (const body of [[], 'str', 12, null]) {
      const response = await post(h.app, '/customers', JSON.stringify(body));
      expect(response.status).toBe(422);
      expect(response.body.errors[0].field).toBe('body');
    }
    expect(await total()).toBe(0);
  });

  it('refuses deeply nested JSON with 400 before building it, never a 500', async () => {
    const deep = '{"user_id":"d","custom_attributes":{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}}';
    const response = await post(h.app, '/customers', deep);
    expect(response.status).toBe(400);
    expect(response.body.errors[0].field).toBe('body');
    // Nesting within the limit (BEACON_MAX_JSON_DEPTH, 32) reaches the customer rules: 422 naming the field.
    const shallow = '{"user_id":"d","custom_attributes":{"a":' + '['.repeat(10) + ']'.repeat(10) + '}}';
    const ruled = await post(h.app, '/customers', shallow);
    expect(ruled.status).toBe(422);
    expect(ruled.body.errors[0].field).toBe('custom_attributes.a');
  });

  it('answers unknown routes and customers with 404 envelopes', async () => {
    const route = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(route.statusCode).toBe(404);
    expect(route.json()).toMatchObject({ success: false, code: 404 });
    expect((await get(h.app, '/customers/ghost')).body).toMatchObject({ success: false, code: 404 });
  });
});
