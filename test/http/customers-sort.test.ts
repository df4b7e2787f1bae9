import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { get, post, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function userIds(url: string): Promise<{ ids: string[]; next: string | null }> {
  const response = await get(h.app, url);
  expect(response.status).toBe(200);
  return { ids: response.body.data.customers.map((c: { user_id: string }) => c.user_id), next: response.body.data.next_cursor };
}

describe('GET /customers?sort=last_seen', () => {
  it('lists most recently seen first, never-seen last, across pages', async () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      await post(h.app, '/customers', { user_id: id });
      h.clock.advance(10);
    }
    await post(h.app, '/customers', { user_id: 'quiet', update_session: false });
    await post(h.app, '/customers', { user_id: 'b' }); // seen again: now the most recent
    h.clock.advance(10);
    await post(h.app, '/customers', { user_id: 'tie1' });
    await post(h.app, '/customers', { user_id: 'tie2' });

    const all = await userIds('/customers?sort=last_seen&limit=100');
    expect(all.ids).toEqual(['tie2', 'tie1', 'b', 'd', 'c', 'a', 'quiet']);
    const seen: string[] = [];
    let url = '/customers?sort=last_seen&limit=2';
    for (;;) {
      const page = await userIds(url);
      seen.push(...page.ids);
      if (!page.next) break;
      url = `/customers?sort=last_seen&limit=2&cursor=${page.next}`;
    }
    expect(seen).toEqual(all.ids);
    // The default order is unchanged: newest created first.
    expect((await userIds('/customers?limit=100')).ids).toEqual(['tie2', 'tie1', 'quiet', 'd', 'c', 'b', 'a']);
    expect((await userIds('/customers?sort=last_seen&q=tie')).ids).toEqual(['tie2', 'tie1']);
  });

  it('rejects an unknown sort and a cursor from the other order with 422', async () => {
    const bad = await get(h.app, '/customers?sort=name');
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('sort');
    await post(h.app, '/customers', { user_id: 'a' });
    await post(h.app, '/customers', { user_id: 'b' });
    const { next } = await userIds('/customers?limit=1');
    const mixed = await get(h.app, `/customers?sort=last_seen&cursor=${next}`);
    expect(mixed.status).toBe(422);
    expect(mixed.body.errors[0].field).toBe('cursor');
  });
});
