// Two real Beacon processes on one PostgreSQL database, fired at concurrently: identity
// resolution and merging hold across processes (no lost attribute, no duplicate profile).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePostgres } from '../support/stores.js';
import { call, startServer, type ServerProcess } from '../support/server-process.js';

const PUBLIC_KEY = 'pk_test_race_0123456789abcdef';
const SECRET_KEY = 'sk_test_race_0123456789abcdef';
const probe = await requirePostgres('two-process race');
const run = `${process.pid}-${Date.now().toString(36)}`;

interface Listed {
  customers: { id: number; user_id: string | null; email: string | null; custom_attributes: Record<string, unknown>; sessions: number }[];
}

describe.skipIf(probe.unavailable !== null)('two server processes on one PostgreSQL database', () => {
  let servers: ServerProcess[] = [];
  const on = (i: number) => servers[i % servers.length] as ServerProcess;
  const identify = (i: number, body: unknown) => call(on(i), { path: '/customers', key: PUBLIC_KEY, body });
  const byEmail = async (email: string) =>
    ((await call(on(0), { path: `/customers?email=${encodeURIComponent(email)}`, key: SECRET_KEY })).body.data as Listed).customers;

  beforeAll(async () => {
    const env = {
      DATABASE_URL: probe.url,
      BEACON_PUBLIC_KEY: PUBLIC_KEY,
      BEACON_SECRET_KEY: SECRET_KEY,
      BEACON_DB_POOL_SIZE: '6',
      // Generous: 2 shared cores, and the calls below all queue on one customer's lock on purpose.
      BEACON_DB_TIMEOUT_MS: '20000',
    };
    // Started at the same moment: the first start on an empty database must not race either.
    servers = await Promise.all([startServer(env), startServer(env)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('200 concurrent identifies for one customer, each setting a different attribute: all 200 kept, one session', async () => {
    const userId = `race-user-${run}`;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => identify(i, { user_id: userId, custom_attributes: { [`attr_${i}`]: i % 3 === 0 ? `v${i}` : i % 3 === 1 ? i : i % 2 === 0 } })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200));
    const profile = (await call(on(1), { path: `/customers/${userId}`, key: SECRET_KEY })).body.data as Listed['customers'][number];
    expect(Object.keys(profile.custom_attributes)).toHaveLength(200);
    for (let i = 0; i < 200; i += 1) {
      expect(profile.custom_attributes[`attr_${i}`]).toEqual(i % 3 === 0 ? `v${i}` : i % 3 === 1 ? i : i % 2 === 0);
    }
    expect(profile.sessions).toBe(1);
    const search = (await call(on(0), { path: `/customers?q=${userId}`, key: SECRET_KEY })).body.data as Listed;
    expect(search.customers).toHaveLength(1);
  });

  it('50 concurrent email-only calls for a new email: one profile holding every attribute', async () => {
    const email = `race-new-${run}@example.com`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => identify(i, { email: i % 2 ? email : email.toUpperCase(), custom_attributes: { [`e_${i}`]: true } })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const profiles = await byEmail(email);
    expect(profiles).toHaveLength(1);
    expect(profiles[0]?.user_id).toBeNull();
    expect(Object.keys(profiles[0]?.custom_attributes ?? {})).toHaveLength(50);
    expect(profiles[0]?.sessions).toBe(1);
  });

  it('50 concurrent calls upgrading one email-only profile with the same user_id: one profile, upgraded in place', async () => {
    const email = `race-upgrade-${run}@example.com`;
    const userId = `race-upgraded-${run}`;
    expect((await identify(0, { email, custom_attributes: { lead: 'yes' } })).status).toBe(200);
    const [lead] = await byEmail(email);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => identify(i, { user_id: userId, email, custom_attributes: { [`u_${i}`]: i } })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const profiles = await byEmail(email);
    expect(profiles).toHaveLength(1);
    expect(profiles[0]).toMatchObject({ id: lead?.id, user_id: userId });
    expect(Object.keys(profiles[0]?.custom_attributes ?? {})).toHaveLength(51);
  });

  it('a bulk call at the 10,000-customer limit beside identify calls about the same customers from the other process: every customer once, every attribute kept', async () => {
    // 20,000 identities in one transaction: locked one by one they overflowed PostgreSQL's
    // shared lock table (6,400 by default) and the call failed with 500 "out of shared memory".
    const userId = (i: number) => `bulk-${run}-${i}`;
    const customers = Array.from({ length: 10_000 }, (_, i) => ({ user_id: userId(i), email: `bulk-${run}-${i}@example.com`, custom_attributes: { from_bulk: i } }));
    const [bulk, ...singles] = await Promise.all([
      call(on(0), { path: '/customers/bulk', key: PUBLIC_KEY, body: { customers } }),
      ...Array.from({ length: 100 }, (_, i) => identify(1, { user_id: userId(i * 97), custom_attributes: { from_identify: i } })),
    ]);
    expect(bulk.status).toBe(200);
    expect(singles.map((r) => r.status)).toEqual(Array(100).fill(200));
    let seen = 0;
    let cursor: string | null = null;
    do {
      const page = (await call(on(1), { path: `/customers?q=bulk-${run}-&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, key: SECRET_KEY })).body.data as Listed & { next_cursor: string | null };
      seen += page.customers.length;
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toBe(10_000);
    for (let i = 0; i < 100; i += 1) {
      const profile = (await call(on(0), { path: `/customers/${userId(i * 97)}`, key: SECRET_KEY })).body.data as Listed['customers'][number];
      expect(profile.custom_attributes).toEqual({ from_bulk: i * 97, from_identify: i });
      expect(profile.email).toBe(`bulk-${run}-${i * 97}@example.com`);
    }
  }, 120_000);
});
