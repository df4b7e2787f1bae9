// Reading, searching, paging and deleting with the secret key.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { get, post, startHarness, SECRET_KEY, auth, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await post(h.app, '/customers/bulk', {
    customers: [
      { user_id: 'billy', email: 'billy@crowdpower.io', name: 'Billy Madison' },
      { user_id: 'veronica', email: 'v.vaughn@school.edu', name: 'Veronica Vaughn' },
      { user_id: 'eric', email: 'eric@gordon.com', name: 'Eric Gordon' },
      { email: 'lead_50%@example.com' },
      { user_id: 'o_hara', name: "Danny O'Hara" },
    ],
  });
});
afterEach(async () => {
  await h.close();
});

const ids = (page: { customers: { user_id: string | null; email: string | null }[] }) => page.customers.map((c) => c.user_id ?? c.email);

describe('list and search', () => {
  it('lists newest first with the full profile shape', async () => {
    const response = await get(h.app, '/customers');
    expect(response.status).toBe(200);
    expect(ids(response.body.data)).toEqual(['o_hara', 'lead_50%@example.com', 'eric', 'veronica', 'billy']);
    expect(response.body.data.next_cursor).toBeNull();
    expect(Object.keys(response.body.data.customers[0]).sort()).toEqual(
      ['id', 'user_id', 'anonymous_id', 'email', 'name', 'first_name', 'last_name', 'phone', 'signed_up_at', 'ip', 'custom_attributes', 'first_seen', 'last_seen', 'sessions', 'updated_at'].sort(),
    );
  });

  it('searches user_id, email and name case-insensitively with q', async () => {
    expect(ids((await get(h.app, '/customers?q=VAUGHN')).body.data)).toEqual(['veronica']);
    expect(ids((await get(h.app, '/customers?q=gordon.com')).body.data)).toEqual(['eric']);
    expect(ids((await get(h.app, '/customers?q=bill')).body.data)).toEqual(['billy']);
    expect(ids((await get(h.app, '/customers?q=Billy%20Madison')).body.data)).toEqual(['billy']);
    // LIKE wildcards in q are literal characters
    expect(ids((await get(h.app, '/customers?q=50%25')).body.data)).toEqual(['lead_50%@example.com']);
    expect(ids((await get(h.app, '/customers?q=o_h')).body.data)).toEqual(['o_hara']);
    expect((await get(h.app, '/customers?q=zzz')).body.data.customers).toEqual([]);
  });

  it('finds by exact email, case-insensitively', async () => {
    expect(ids((await get(h.app, '/customers?email=BILLY@CrowdPower.io')).body.data)).toEqual(['billy']);
    expect((await get(h.app, '/customers?email=billy')).body.data.customers).toEqual([]);
  });

  it('pages with limit and cursor without gaps or repeats, even while customers are added', async () => {
    const first = (await get(h.app, '/customers?limit=2')).body.data;
    expect(ids(first)).toEqual(['o_hara', 'lead_50%@example.com']);
    expect(first.next_cursor).toEqual(expect.any(String));
    await post(h.app, '/customers', { user_id: 'newcomer' });
    const second = (await get(h.app, `/customers?limit=2&cursor=${first.next_cursor}`)).body.data;
    expect(ids(second)).toEqual(['eric', 'veronica']);
    const third = (await get(h.app, `/customers?limit=2&cursor=${second.next_cursor}`)).body.data;
    expect(ids(third)).toEqual(['billy']);
    expect(third.next_cursor).toBeNull();
  });

  it('rejects a bad limit or cursor with 422 naming it', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1']) {
      const response = await get(h.app, `/customers?${query}`);
      expect(response.status, query).toBe(422);
      expect(response.body.errors[0].field).toBe('limit');
    }
    const cursor = await get(h.app, '/customers?cursor=garbage');
    expect(cursor.status).toBe(422);
    expect(cursor.body.errors[0].field).toBe('cursor');
    expect((await get(h.app, '/customers?limit=1000')).status).toBe(200);
  });
});

describe('read one and delete', () => {
  it('reads a user_id with URL-unsafe characters', async () => {
    await post(h.app, '/customers', { user_id: 'a/b c?d', name: 'Odd Id' });
    const response = await get(h.app, `/customers/${encodeURIComponent('a/b c?d')}`);
    expect(response.status).toBe(200);
    expect(response.body.data.first_name).toBe('Odd');
  });

  it('deletes for good and answers 404 after', async () => {
    const deleted = await h.app.inject({ method: 'DELETE', url: '/customers/billy', headers: auth(SECRET_KEY) });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ success: true, code: 200, data: null });
    expect((await get(h.app, '/customers/billy')).status).toBe(404);
    expect((await get(h.app, '/customers?q=billy')).body.data.customers).toEqual([]);
    const again = await h.app.inject({ method: 'DELETE', url: '/customers/billy', headers: auth(SECRET_KEY) });
    expect(again.statusCode).toBe(404);
    // identifying again starts a fresh profile
    await post(h.app, '/customers', { user_id: 'billy' });
    expect((await get(h.app, '/customers/billy')).body.data).toMatchObject({ email: null, sessions: 1 });
  });
});

describe('operations', () => {
  it('serves healthz, readyz and an OpenAPI document built from the schemas', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    const body = doc.paths['/customers'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['user_id', 'email', 'phone', 'custom_attributes', 'update_session']));
    expect(doc.paths['/customers/{user_id}'].get).toBeDefined();
  });

  it('turns readyz to 503 when the database is gone', async () => {
    await h.store.close();
    const response = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ success: false, code: 503 });
    h.store.close = async () => {};
  });
});
