// One store contract, run on every store (SQLite, PostgreSQL): the customer service on top of a
// real database, driven with request-shaped input as the HTTP routes pass it on.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { createCustomerService, type CustomerService } from '../../src/customers/identify.js';
import type { CustomerChanges } from '../../src/customers/merge.js';
import type { Profile } from '../../src/customers/schemas.js';
import { BeaconError } from '../../src/errors.js';
import type { Project, Store } from '../../src/store/store.js';
import { storeFactories, uniqueName, type StoreFactory } from '../support/stores.js';

const TIMEOUT = 1800;
const factories = await storeFactories('store contract');

interface Fixture {
  store: Store;
  project: Project;
  clock: ReturnType<typeof manualClock>;
  customers: CustomerService;
}

async function fixtureOn(store: Store): Promise<Fixture> {
  const clock = manualClock(1_700_000_000);
  const project = await store.projects.create({ name: uniqueName('contract'), now: clock.now() });
  const customers = createCustomerService({ store, clock, limits: DEFAULT_LIMITS, sessionTimeout: TIMEOUT });
  return { store, project, clock, customers };
}

async function rejection(promise: Promise<unknown>): Promise<BeaconError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BeaconError) return error;
    throw error;
  }
  throw new Error('expected the call to be rejected');
}

for (const factory of factories) {
  describe.skipIf(factory.unavailable !== null)(`store contract on ${factory.name}`, () => {
    let opened: Awaited<ReturnType<StoreFactory['open']>>;
    let f: Fixture;
    const identify = (input: unknown) => f.customers.identify(f.project, input);
    const bulk = (customers: unknown[]) => f.customers.identifyBulk(f.project, { customers });
    const read = (userId: string) => f.customers.get(f.project, userId);
    const list = (request: Parameters<CustomerService['list']>[1] = {}) => f.customers.list(f.project, request);
    const all = async (request: Parameters<CustomerService['list']>[1] = {}) => (await list({ ...request, limit: 1000 })).customers;
    // Straight to the store, as the Segment ingest calls it (anonymous ids and message ids).
    const write = (items: CustomerChanges[], messageIds?: (string | undefined)[]) =>
      f.store.customers.identify({ projectId: f.project.id, items, now: f.clock.now(), sessionTimeout: TIMEOUT, messageIds, dedupeSeconds: 3600 });
    const change = (c: Omit<CustomerChanges, 'updateSession'>): CustomerChanges => ({ updateSession: true, ...c });

    beforeAll(async () => {
      opened = await factory.open();
    });
    afterAll(async () => {
      await opened?.dispose();
    });
    beforeEach(async () => {
      f = await fixtureOn(opened.store);
    });

    describe('identify', () => {
      it("stores CrowdPower's example call and reads it back", async () => {
        await identify({
          user_id: '1',
          anonymous_id: null,
          email: 'billy@crowdpower.io',
          name: 'Billy Madison',
          phone: '+15555555555',
          signed_up_at: 1585775554,
          custom_attributes: { username: 'billy' },
        });
        const profile = await read('1');
        expect(profile).toEqual({
          id: expect.any(Number),
          user_id: '1',
          anonymous_id: null,
          email: 'billy@crowdpower.io',
          name: 'Billy Madison',
          first_name: 'Billy',
          last_name: 'Madison',
          phone: '+15555555555',
          signed_up_at: 1585775554,
          ip: null,
          custom_attributes: { username: 'billy' },
          first_seen: 1_700_000_000,
          last_seen: 1_700_000_000,
          sessions: 1,
          updated_at: 1_700_000_000,
        });
      });

      it('keeps omitted fields, clears fields sent as null, merges attributes key by key and removes null ones', async () => {
        await identify({ user_id: 'u', email: 'a@x.io', name: 'Ada Lovelace', ip: '10.0.0.1', custom_attributes: { plan: 'pro', seats: 3, beta: true } });
        f.clock.advance(60);
        await identify({ user_id: 'u', ip: null, phone: '+442071838750', custom_attributes: { seats: 4, beta: null, region: 'eu' } });
        const profile = await read('u');
        expect(profile).toMatchObject({
          email: 'a@x.io',
          first_name: 'Ada',
          last_name: 'Lovelace',
          ip: null,
          phone: '+442071838750',
          custom_attributes: { plan: 'pro', seats: 4, region: 'eu' },
          updated_at: 1_700_000_060,
        });
        expect(profile.custom_attributes).not.toHaveProperty('beta');
      });

      it('keeps the type of every attribute value exactly', async () => {
        const values = {
          str_number: '42',
          int: 42,
          zero: 0,
          negative: -1.5,
          tiny: 0.1 + 0.2,
          huge: 1e300,
          yes: true,
          no: false,
          empty: '',
          unicode: 'Zoë 😀 ✓',
          str_true: 'true',
        };
        await identify({ user_id: 'typed', custom_attributes: values });
        const stored = (await read('typed')).custom_attributes;
        expect(stored).toEqual(values);
        for (const [key, value] of Object.entries(values)) expect(typeof stored[key], key).toBe(typeof value);
      });

      it('refuses text a database cannot hold (NUL, unpaired surrogates) with 422 and stores nothing', async () => {
        const error = await rejection(identify({ user_id: 'nul', name: 'a\u0000b', custom_attributes: { note: 'x\ud800' } }));
        expect(error.code).toBe('validation_failed');
        expect(error.errors?.map((e) => e.field).sort()).toEqual(['custom_attributes.note', 'name']);
        expect(await all()).toEqual([]);
      });

      it('a rejected call stores nothing', async () => {
        await identify({ user_id: 'keep', custom_attributes: { a: 1 } });
        await rejection(identify({ user_id: 'keep', phone: 'not a phone', custom_attributes: { a: 2 } }));
        expect((await read('keep')).custom_attributes).toEqual({ a: 1 });
      });
    });

    describe('sessions', () => {
      it('counts a new session only after the timeout, and always moves last_seen', async () => {
        await identify({ user_id: 's' });
        f.clock.advance(TIMEOUT); // exactly the timeout: same session
        await identify({ user_id: 's' });
        expect(await read('s')).toMatchObject({ sessions: 1, first_seen: 1_700_000_000, last_seen: 1_700_000_000 + TIMEOUT });
        f.clock.advance(TIMEOUT + 1);
        await identify({ user_id: 's' });
        expect(await read('s')).toMatchObject({ sessions: 2, first_seen: 1_700_000_000, last_seen: 1_700_000_000 + 2 * TIMEOUT + 1 });
      });

      it('update_session false leaves last_seen and sessions alone, and a new profile gets 0 / null', async () => {
        await identify({ user_id: 'backfill', update_session: false });
        expect(await read('backfill')).toMatchObject({ sessions: 0, last_seen: null, first_seen: 1_700_000_000 });
        f.clock.advance(5000);
        await identify({ user_id: 'backfill' });
        f.clock.advance(5000);
        await identify({ user_id: 'backfill', update_session: false, custom_attributes: { imported: true } });
        expect(await read('backfill')).toMatchObject({
          sessions: 1,
          last_seen: 1_700_005_000,
          first_seen: 1_700_000_000,
          updated_at: 1_700_010_000,
          custom_attributes: { imported: true },
        });
      });

      it('ignores server-managed fields sent by a client', async () => {
        await identify({ user_id: 'sneaky', sessions: 99, first_seen: 1, last_seen: 2, id: 7 });
        expect(await read('sneaky')).toMatchObject({ sessions: 1, first_seen: 1_700_000_000, last_seen: 1_700_000_000 });
      });
    });

    describe('identity resolution', () => {
      it('rule 1: a known user_id updates that profile, even when the email belongs to an email-only profile', async () => {
        await identify({ user_id: 'r1', email: 'one@x.io' });
        await identify({ email: 'lonely@x.io' });
        await identify({ user_id: 'r1', email: 'LONELY@x.io' });
        const profiles = await all();
        expect(profiles).toHaveLength(2);
        expect(await read('r1')).toMatchObject({ email: 'LONELY@x.io' });
        expect(profiles.filter((p) => p.user_id === null)).toHaveLength(1);
      });

      it('rule 2: an unknown user_id with the email of one email-only profile upgrades it in place', async () => {
        await identify({ email: 'Lead@Example.com', custom_attributes: { source: 'ad' } });
        const [lead] = await all();
        await identify({ user_id: 'r2', email: 'lead@example.com', custom_attributes: { plan: 'pro' } });
        const profiles = await all();
        expect(profiles).toHaveLength(1);
        expect(profiles[0]).toMatchObject({ id: lead?.id, user_id: 'r2', email: 'lead@example.com', custom_attributes: { source: 'ad', plan: 'pro' } });
      });

      it('rule 2 does not take a profile that already has a user_id: a new profile is created (rule 4)', async () => {
        await identify({ user_id: 'owner', email: 'shared@x.io' });
        await identify({ user_id: 'second', email: 'shared@x.io' });
        expect((await all()).map((p) => p.user_id).sort()).toEqual(['owner', 'second']);
      });

      it('rule 3: email only updates the most recently seen profile with that email, case-insensitively', async () => {
        await identify({ user_id: 'old', email: 'pair@x.io' });
        f.clock.advance(100);
        await identify({ user_id: 'new', email: 'pair@x.io' });
        f.clock.advance(100);
        await identify({ email: 'PAIR@X.IO', custom_attributes: { touched: true } });
        expect((await read('new')).custom_attributes).toEqual({ touched: true });
        expect((await read('old')).custom_attributes).toEqual({});
        expect(await read('new')).toMatchObject({ email: 'PAIR@X.IO' });
      });

      it('rule 3: an unknown email creates one email-only profile, and later email-only calls update it', async () => {
        await identify({ email: 'solo@x.io', custom_attributes: { a: 1 } });
        await identify({ email: 'Solo@X.io', custom_attributes: { b: 2 } });
        const profiles = await all();
        expect(profiles).toHaveLength(1);
        expect(profiles[0]).toMatchObject({ user_id: null, email: 'Solo@X.io', custom_attributes: { a: 1, b: 2 } });
      });

      it('rule 4: an unknown user_id without email creates a profile; user_id is case-sensitive', async () => {
        await identify({ user_id: 'Case' });
        await identify({ user_id: 'case' });
        await identify({ user_id: 7 });
        expect((await all()).map((p) => p.user_id).sort()).toEqual(['7', 'Case', 'case']);
      });
    });

    describe('an email shared by many profiles', () => {
      // The stores read only the most recently seen profiles of an email (a few, not thousands);
      // these calls are built so that reading too few would change the answer.
      it('rule 2 in one call: once every other holder has moved to a new address, an unknown user_id upgrades the email-only profile', async () => {
        for (const user of ['a', 'b', 'c']) await identify({ user_id: user, email: `${user}@x.io` });
        f.clock.advance(10);
        await identify({ email: 'home@x.io', custom_attributes: { lead: true } });
        const [lead] = await all({ email: 'home@x.io' });
        for (const user of ['a', 'b', 'c']) {
          f.clock.advance(10);
          await identify({ user_id: user, email: 'HOME@x.io' });
        }
        expect(await all({ email: 'home@x.io' })).toHaveLength(4);
        await bulk([
          { user_id: 'a', email: 'a2@x.io' },
          { user_id: 'b', email: 'b2@x.io' },
          { user_id: 'c', email: 'c2@x.io' },
          { user_id: 'newcomer', email: 'home@x.io', custom_attributes: { plan: 'pro' } },
        ]);
        expect(await read('newcomer')).toMatchObject({ id: lead?.id, email: 'home@x.io', custom_attributes: { lead: true, plan: 'pro' } });
        expect(await all()).toHaveLength(4);
      });

      it('rule 2 needs the only profile: an email-only visitor seen last, beside a user with that email, is not taken', async () => {
        // A visitor (an anonymous id, which only the store-level call carries) whose address changes to desk@.
        const visit = (email: string) => write([change({ anonymousId: 'visitor', email, attributes: { visits: 1 } })]);
        await identify({ user_id: 'owner', email: 'desk@x.io' });
        f.clock.advance(10);
        await visit('elsewhere@x.io');
        await visit('desk@x.io');
        await identify({ user_id: 'stranger', email: 'desk@x.io' });
        const profiles = await all({ email: 'desk@x.io' });
        expect(profiles.map((p) => p.user_id).sort()).toEqual([null, 'owner', 'stranger'].sort());
        expect(profiles.find((p) => p.user_id === null)).toMatchObject({ anonymous_id: 'visitor', custom_attributes: { visits: 1 } });
      });

      it('rule 3 in one call, with a clock behind the stored last_seen: each email-only item takes the most recently seen profile left', async () => {
        for (let i = 0; i < 10; i += 1) {
          f.clock.advance(10);
          await identify({ user_id: `u${i}`, email: 'team@x.io' });
        }
        f.clock.advance(-1000); // another server whose clock is behind
        await bulk([1, 2, 3].map((hit) => ({ email: 'team@x.io', custom_attributes: { hit } })));
        const hits = Object.fromEntries((await all()).map((p) => [p.user_id, p.custom_attributes.hit ?? null]));
        expect(hits).toEqual({ u9: 1, u8: 2, u7: 3, u6: null, u5: null, u4: null, u3: null, u2: null, u1: null, u0: null });
      });

      it('2,000 profiles with one email: a new user_id gets its own profile, and email-only calls update the newest', async () => {
        for (let from = 0; from < 2000; from += 1000) {
          await bulk(Array.from({ length: 1000 }, (_, i) => ({ user_id: `s${from + i}`, email: 'info@shared.io' })));
          f.clock.advance(10);
        }
        await identify({ user_id: 'late', email: 'Info@Shared.io' });
        f.clock.advance(10);
        await identify({ email: 'info@shared.io', custom_attributes: { newest: true } });
        expect(await read('late')).toMatchObject({ email: 'info@shared.io', custom_attributes: { newest: true } });
        expect((await read('s1999')).custom_attributes).toEqual({});
        expect((await list({ email: 'info@shared.io', limit: 1000 })).next_cursor).not.toBeNull();
      });
    });

    describe('bulk', () => {
      it('applies items in array order, the same customer several times, in one call', async () => {
        const result = await bulk([
          { email: 'early@x.io', custom_attributes: { step: 1 } },
          { user_id: 'b1', email: 'early@x.io', custom_attributes: { step: 2, first: true } },
          { user_id: 'b1', custom_attributes: { step: 3, first: null } },
          { user_id: 'b2', name: 'Grace Hopper' },
          { email: 'EARLY@x.io', custom_attributes: { last: 'yes' } },
        ]);
        expect(result).toEqual({ accepted: 5, rejected: [] });
        const profiles = await all();
        expect(profiles.map((p) => p.user_id)).toEqual(['b2', 'b1']);
        expect(await read('b1')).toMatchObject({ email: 'EARLY@x.io', custom_attributes: { step: 3, last: 'yes' }, sessions: 1 });
        expect(await read('b2')).toMatchObject({ first_name: 'Grace', last_name: 'Hopper' });
      });

      it('stores the valid items and reports the invalid ones by index and field', async () => {
        const result = await bulk([{ user_id: 'ok1' }, { user_id: 'bad', phone: 'nope' }, { user_id: 'ok2' }, { custom_attributes: {} }]);
        expect(result.accepted).toBe(2);
        expect(result.rejected.map((r) => [r.index, r.errors.map((e) => e.field)])).toEqual([
          [1, ['customers.1.phone']],
          [3, ['customers.3.user_id']],
        ]);
        expect((await all()).map((p) => p.user_id)).toEqual(['ok2', 'ok1']);
      });

      it('stores a large batch with updates of existing profiles', async () => {
        await bulk(Array.from({ length: 500 }, (_, i) => ({ user_id: `big-${i}`, custom_attributes: { n: i } })));
        f.clock.advance(10);
        await bulk(Array.from({ length: 1000 }, (_, i) => ({ user_id: `big-${i}`, email: `big${i}@x.io`, custom_attributes: { m: i } })));
        const profiles = await all();
        expect(profiles).toHaveLength(1000);
        expect(await read('big-499')).toMatchObject({ email: 'big499@x.io', custom_attributes: { n: 499, m: 499 } });
        expect(await read('big-999')).toMatchObject({ custom_attributes: { m: 999 }, first_seen: 1_700_000_010 });
      });
    });

    describe('anonymous ids and message ids (store level, as the Segment ingest calls it)', () => {

      it('an anonymous visitor who logs in as a known customer is folded into that profile', async () => {
        await identify({ user_id: 'known', custom_attributes: { plan: 'pro' } });
        f.clock.advance(3600);
        await write([change({ anonymousId: 'anon-1', attributes: { utm: 'ad', plan: 'free' } })]);
        expect((await all({ anonymousId: 'anon-1' })).map((p) => p.user_id)).toEqual([null]);
        f.clock.advance(60);
        await write([change({ userId: 'known', anonymousId: 'anon-1' })]);
        const profiles = await all();
        expect(profiles).toHaveLength(1);
        expect(profiles[0]).toMatchObject({ user_id: 'known', anonymous_id: 'anon-1', custom_attributes: { plan: 'pro', utm: 'ad' }, sessions: 2 });
      });

      it('an anonymous profile logging in with a new user_id is upgraded in place', async () => {
        await write([change({ anonymousId: 'anon-2' })]);
        const [before] = await all();
        await write([change({ userId: 'fresh', anonymousId: 'anon-2' })]);
        expect(await all()).toEqual([expect.objectContaining({ id: before?.id, user_id: 'fresh', anonymous_id: 'anon-2' })]);
      });

      it('skips message ids already processed within the window, also inside one batch', async () => {
        const first = await write([change({ userId: 'm', attributes: { n: 1 } }), change({ userId: 'm', attributes: { n: 2 } })], ['a', 'a']);
        expect(first.duplicates).toBe(1);
        f.clock.advance(60);
        const again = await write([change({ userId: 'm', attributes: { n: 3 } }), change({ userId: 'm', attributes: { x: true } })], ['a', undefined]);
        expect(again.duplicates).toBe(1);
        expect((await read('m')).custom_attributes).toEqual({ n: 1, x: true });
        f.clock.advance(3601);
        expect((await write([change({ userId: 'm', attributes: { n: 4 } })], ['a'])).duplicates).toBe(0);
        expect((await read('m')).custom_attributes).toEqual({ n: 4, x: true });
      });
    });

    describe('read, list, search, pagination, delete', () => {
      beforeEach(async () => {
        await identify({ user_id: 'alice', email: 'alice@wonder.land', name: 'Alice Liddell' });
        await identify({ user_id: 'bob', email: 'Bob@Builder.com', name: 'Bob Builder' });
        await identify({ email: 'carol@x.io', name: 'Carol 100%_sure' });
        await identify({ user_id: 'dave_1', name: 'Dave' });
      });

      it('reads one profile by user_id, and reports an unknown one as not found', async () => {
        expect((await read('alice')).email).toBe('alice@wonder.land');
        expect((await rejection(read('nobody'))).code).toBe('not_found');
      });

      it('lists newest first', async () => {
        expect((await all()).map((p) => p.email ?? p.user_id)).toEqual(['dave_1', 'carol@x.io', 'Bob@Builder.com', 'alice@wonder.land']);
      });

      it('filters by email case-insensitively', async () => {
        expect((await all({ email: 'bob@builder.COM' })).map((p) => p.user_id)).toEqual(['bob']);
        expect(await all({ email: 'nobody@x.io' })).toEqual([]);
      });

      it('searches user_id, email and name case-insensitively, with % and _ matching themselves', async () => {
        const search = async (q: string) => (await all({ q })).map((p) => p.user_id ?? p.email).sort();
        expect(await search('ALICE')).toEqual(['alice']);
        expect(await search('builder')).toEqual(['bob']);
        expect(await search('ob buil')).toEqual(['bob']);
        expect(await search('liddell')).toEqual(['alice']);
        expect(await search('100%_')).toEqual(['carol@x.io']);
        expect(await search('e_1')).toEqual(['dave_1']);
        expect(await search('%')).toEqual(['carol@x.io']);
        expect(await search('zzz')).toEqual([]);
      });

      it('pages with a cursor through every profile exactly once, stable while profiles are added', async () => {
        for (let i = 0; i < 21; i += 1) await identify({ user_id: `page-${i}` });
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await list({ limit: 4, cursor });
          seen.push(...page.customers.map((p: Profile) => p.user_id ?? p.email ?? ''));
          cursor = page.next_cursor ?? undefined;
          pages += 1;
          if (pages === 2) await identify({ user_id: 'added-meanwhile' }); // newer: not in this walk
        } while (cursor);
        expect(pages).toBe(7);
        expect(seen).toHaveLength(25);
        expect(new Set(seen).size).toBe(25);
        expect(seen).not.toContain('added-meanwhile');
        expect((await list({ limit: 5 })).customers[0]?.user_id).toBe('added-meanwhile');
      });

      it('deletes a profile for good; a later identify creates a new one', async () => {
        const before = await read('alice');
        await f.customers.delete(f.project, 'alice');
        expect((await rejection(read('alice'))).code).toBe('not_found');
        expect((await rejection(f.customers.delete(f.project, 'alice'))).code).toBe('not_found');
        await identify({ user_id: 'alice' });
        const after = await read('alice');
        expect(after.id).not.toBe(before.id);
        expect(after.email).toBeNull();
      });

      it('keeps projects apart', async () => {
        const other = await fixtureOn(f.store);
        await other.customers.identify(other.project, { user_id: 'alice', custom_attributes: { other: true } });
        expect((await read('alice')).custom_attributes).toEqual({});
        expect((await other.customers.list(other.project, {})).customers).toHaveLength(1);
      });
    });
  });
}
